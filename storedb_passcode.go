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
	params     *passcode.Params // nil when no passcode is set
	raw        []byte           // the meta row as stored, to detect concurrent changes
	binding    *passcodeBinding // the passcode's binding to the protector, if any (storedb_binding.go)
	failures   passcode.Failures
	wrapped    []storage.ClassKey
	generation uint64 // of the class keys (storedb_generation.go)
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
	switch raw, err := tx.Meta(metaPasscodeBinding); {
	case err == nil && st.params != nil:
		if st.binding, err = decodeBinding(raw); err != nil {
			return nil, err
		}
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return nil, err
	}
	if f, err := tx.Meta(metaFailures); err == nil {
		st.failures = passcode.DecodeFailures(f)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if st.generation, err = readGenerationTx(tx); err != nil {
		return nil, err
	}
	st.wrapped, err = tx.ClassKeys()
	return st, err
}

// deviceClassSet is the class set of st that the device key alone gives:
// the classes wrapped under the device key, none of the passcode ones.
func (v *storeDB) deviceClassSet(st *passcodeState) (*classSet, error) {
	device, err := v.unwrapClassKeys(st.wrapped, keys.WrapDevice, v.deviceKEK())
	if err != nil {
		return nil, err
	}
	defer wipeKeys(device)
	return newClassSet(device, st.params != nil, st.generation), nil
}

func (v *storeDB) unlock(ctx context.Context, clk clock, p []byte) error {
	got, st, err := v.checkPasscode(ctx, clk, p)
	if err != nil {
		return err
	}
	defer wipeKeys(got)
	next, err := v.deviceClassSet(st)
	if err != nil {
		return err
	}
	v.publish(next.with(got, true))
	next.release()
	return nil
}

// lock drops the WhenUnlocked keys; their buffer is wiped as soon as no
// reader uses it.
func (v *storeDB) lock() {
	cur := v.readClasses()
	defer cur.release()
	v.publish(cur.lockedCopy())
}

// setPasscode implements Store.SetPasscode: it checks old, then gives the
// passcode classes fresh keys, re-seals their items, and wraps the new keys
// for new (derived at cost), all in one transaction (storedb_rotate.go).
func (v *storeDB) setPasscode(ctx context.Context, clk clock, cost passcode.Params, old, new []byte, progress func(done, total int)) error {
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
	var withPasscode map[Accessibility][]byte
	if st.params != nil {
		if withPasscode, st, err = v.checkPasscode(ctx, clk, old); err != nil {
			return err
		}
		defer wipeKeys(withPasscode)
	}
	// The new wrapping: the new passcode's KEK, derived (and bound to the
	// protector, storedb_binding.go) before the write lock is taken, or
	// the device key's when the passcode goes.
	w := newWrapping{wrapping: keys.WrapDevice}
	if len(new) > 0 {
		params := passcode.New(cost)
		kek, binding, err := v.newPasscodeKEK(ctx, params.Key(new))
		if err != nil {
			return err
		}
		w = newWrapping{params: &params, wrapping: keys.WrapDevicePasscode, kek: kek, binding: binding}
	} else {
		w.kek = v.deviceKEK()
	}
	defer keys.Wipe(w.kek)

	// Hold off item writes in this process while keys change under them;
	// other processes' writes fail on the generation (storedb_generation.go).
	v.writeMu.Lock()
	defer v.writeMu.Unlock()
	var next *classSet
	err = v.db.Update(ctx, func(tx *storage.Tx) error {
		now, err := readPasscodeStateTx(tx)
		if err != nil {
			return err
		}
		if !bytes.Equal(now.raw, st.raw) || now.generation != st.generation {
			return errors.New("another process changed the passcode meanwhile; try again")
		}
		current, err := v.unwrapClassKeys(now.wrapped, keys.WrapDevice, v.deviceKEK())
		if err != nil {
			return err
		}
		defer wipeKeys(current)
		for c, k := range withPasscode {
			current[c] = bytes.Clone(k)
		}
		next, err = v.rotate(tx, now, current, w, progress)
		return err
	})
	if err != nil {
		if next != nil {
			next.release() // built, not committed: wipe its keys
		}
		return storageErr(err)
	}
	v.publish(next)
	return nil
}

// rewrap stores, wrapped under kek, the key of every class in raw that a
// passcode protects. The Always classes keep their device wrapping.
func rewrap(tx *storage.Tx, store string, raw map[Accessibility][]byte, wrapping uint8, kek []byte) error {
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
