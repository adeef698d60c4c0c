package securestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/passcode"
	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/internal/wait"
)

// The passcode engine of one store: checking a passcode against the
// wrapped class keys, the wrong-passcode delay, and re-wrapping the class
// keys when the passcode is set, changed or removed. passcode.go holds the
// Store methods that call it.

// clock is the time source of the wrong-passcode delay; tests replace it
// so that they need not wait.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// recorded, if set, is called once an attempt is recorded, before its
	// derivation: tests cancel attempts there.
	recorded func()
}

var realClock = clock{now: time.Now, sleep: wait.For}

// passcodeState is what a store's database says about its passcode.
type passcodeState struct {
	params   *passcode.Params // nil when no passcode is set
	raw      []byte           // the meta row as stored, to detect concurrent changes
	failures passcode.Failures
	wrapped  []storage.ClassKey
}

func (v *storeDB) readPasscodeState(ctx context.Context) (*passcodeState, error) {
	var st *passcodeState
	err := v.db.View(ctx, func(tx *storage.Tx) error {
		var err error
		st, err = readPasscodeStateTx(tx)
		return err
	})
	return st, storageErr(err)
}

func readPasscodeStateTx(tx *storage.Tx) (*passcodeState, error) {
	st := &passcodeState{}
	raw, err := tx.Meta(metaPasscode)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		p, err := passcode.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		st.params, st.raw = &p, raw
	}
	if f, err := tx.Meta(metaFailures); err == nil {
		st.failures = passcode.DecodeFailures(f)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	st.wrapped, err = tx.ClassKeys()
	return st, err
}

// passcodeKEK derives this store's passcode KEK from the passcode key pk
// (keys.PasscodeKEK). It wipes pk; the caller wipes the result.
func (v *storeDB) passcodeKEK(pk []byte) []byte {
	defer keys.Wipe(pk)
	return keys.PasscodeKEK(v.device, pk, v.id)
}

func (v *storeDB) unlock(ctx context.Context, clk clock, p []byte) error {
	got, _, err := v.checkPasscode(ctx, clk, p)
	if err != nil {
		return err
	}
	defer wipeKeys(got)
	v.classes.Store(v.classes.Load().with(ciphers(got), true))
	return nil
}

func (v *storeDB) lock() {
	v.classes.Store(v.classes.Load().lockedCopy())
}

// setPasscode implements Store.SetPasscode: it checks old, then re-wraps
// the class keys for new, derived at cost, in one transaction.
func (v *storeDB) setPasscode(ctx context.Context, clk clock, cost passcode.Params, old, new []byte) error {
	st, err := v.readPasscodeState(ctx)
	if err != nil {
		return err
	}
	if st.params == nil && len(old) > 0 {
		return fmt.Errorf("%w: there is no passcode to change", ErrNoPasscode)
	}
	if st.params == nil && len(new) == 0 {
		return nil // nothing to remove
	}
	// Every class key in clear: those the device key wraps, and those the
	// old passcode wraps.
	rawKeys, err := v.unwrapClassKeys(st.wrapped, keys.WrapDevice, v.deviceKEK())
	if err != nil {
		return err
	}
	defer wipeKeys(rawKeys)
	if st.params != nil {
		withPasscode, checked, err := v.checkPasscode(ctx, clk, old)
		if err != nil {
			return err
		}
		st = checked
		for c, k := range withPasscode {
			rawKeys[c] = k
		}
	}

	// Hold off item writes in this process while keys change under them.
	v.writeMu.Lock()
	defer v.writeMu.Unlock()
	var next *classSet
	err = v.db.Update(ctx, func(tx *storage.Tx) error {
		raw, err := tx.Meta(metaPasscode)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if !bytes.Equal(raw, st.raw) {
			return errors.New("another process changed the passcode meanwhile; try again")
		}
		if len(new) == 0 {
			next, err = v.removePasscode(tx, rawKeys)
		} else {
			next, err = v.wrapForPasscode(tx, rawKeys, new, cost)
		}
		return err
	})
	if err != nil {
		return storageErr(err)
	}
	v.classes.Store(next)
	return nil
}

// wrapForPasscode re-wraps every passcode class key under the new
// passcode (creating WhenPasscodeSetThisDeviceOnly's on first set) and
// records the passcode's parameters (cost with a fresh salt). It returns
// the unlocked class set.
func (v *storeDB) wrapForPasscode(tx *storage.Tx, raw map[Accessibility][]byte, p []byte, cost passcode.Params) (*classSet, error) {
	if raw[WhenPasscodeSetThisDeviceOnly] == nil {
		raw[WhenPasscodeSetThisDeviceOnly] = keys.New()
	}
	params := passcode.New(cost)
	if err := rewrap(tx, v.id, raw, keys.WrapDevicePasscode, v.passcodeKEK(params.Key(p))); err != nil {
		return nil, err
	}
	if err := tx.SetMeta(metaPasscode, params.Encode()); err != nil {
		return nil, err
	}
	return (&classSet{}).with(ciphers(raw), true), tx.DeleteMeta(metaFailures)
}

// removePasscode re-wraps the passcode class keys under the device key
// alone, and destroys WhenPasscodeSetThisDeviceOnly's key and items.
func (v *storeDB) removePasscode(tx *storage.Tx, raw map[Accessibility][]byte) (*classSet, error) {
	keys.Wipe(raw[WhenPasscodeSetThisDeviceOnly])
	delete(raw, WhenPasscodeSetThisDeviceOnly)
	if err := rewrap(tx, v.id, raw, keys.WrapDevice, v.deviceKEK()); err != nil {
		return nil, err
	}
	if err := tx.DeleteClassKey(uint8(WhenPasscodeSetThisDeviceOnly)); err != nil {
		return nil, err
	}
	if _, err := tx.DeleteClass(uint8(WhenPasscodeSetThisDeviceOnly)); err != nil {
		return nil, err
	}
	if err := tx.DeleteMeta(metaPasscode); err != nil {
		return nil, err
	}
	return (&classSet{}).with(ciphers(raw), false), tx.DeleteMeta(metaFailures)
}

// rewrap stores, wrapped under kek (which it wipes), the key of every class
// in raw that a passcode protects. The Always classes keep their device
// wrapping.
func rewrap(tx *storage.Tx, store string, raw map[Accessibility][]byte, wrapping uint8, kek []byte) error {
	defer keys.Wipe(kek)
	for c, ck := range raw {
		if !c.needsPasscode() {
			continue
		}
		blob := keys.WrapClassKey(kek, store, uint8(c), wrapping, ck)
		if err := tx.PutClassKey(storage.ClassKey{Class: uint8(c), Wrapping: wrapping, Blob: blob}); err != nil {
			return err
		}
	}
	return nil
}
