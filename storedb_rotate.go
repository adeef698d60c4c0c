package securestore

import (
	"crypto/cipher"
	"fmt"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/passcode"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
)

// Key rotation on a passcode set, change or removal. Re-wrapping the old
// class keys would leave them working for anyone with a copy of the store
// from before (a backup holds the key file and the machine id beside it):
// written back, the old wrapped keys would open items written after the
// change. So every class whose protection changes (all but the Always
// classes) gets a fresh random key, and every item of those classes is
// re-sealed under it, in the same transaction that stores the new wrapped
// keys: a crash leaves either the old keys with the old seals or the new
// with the new. The key generation goes up with it, so that stale handles
// stop writing (storedb_generation.go).

// rotatePage is how many items a rotation reads at a time.
const rotatePage = 512

// newWrapping is how the fresh class keys are wrapped: under the new
// passcode's KEK (params set), or under the device key's.
type newWrapping struct {
	params   *passcode.Params // nil: the passcode is being removed
	wrapping uint8
	kek      []byte
	binding  *passcodeBinding // the new passcode's binding to the protector, if any
}

// rotate gives the passcode classes fresh keys in tx, re-seals their items
// (current holds every class key now in use, in clear) and records the new
// passcode state and generation. It returns the handle's new class set,
// unlocked.
func (v *storeDB) rotate(tx *storage.Tx, st *passcodeState, current map[Accessibility][]byte, w newWrapping, progress func(done, total int)) (*classSet, error) {
	removing := w.params == nil
	if removing {
		// Expo's SecureStore: removing the passcode deletes these items.
		if _, err := tx.DeleteClass(uint8(WhenPasscodeSetThisDeviceOnly)); err != nil {
			return nil, err
		}
		if err := tx.DeleteClassKey(uint8(WhenPasscodeSetThisDeviceOnly)); err != nil {
			return nil, err
		}
		if err := deleteAuthItems(tx); err != nil { // auth.go
			return nil, err
		}
	}
	fresh := map[Accessibility][]byte{}
	for c := range Accessibility(numClasses) {
		if !c.needsPasscode() || removing && c == WhenPasscodeSetThisDeviceOnly {
			continue
		}
		fresh[c] = keys.New()
	}
	defer wipeKeys(fresh)
	if err := v.reseal(tx, current, fresh, progress); err != nil {
		return nil, err
	}
	if err := rewrap(tx, v.id, fresh, w.wrapping, w.kek); err != nil {
		return nil, err
	}
	var err error
	if removing {
		err = tx.DeleteMeta(metaPasscode)
	} else {
		err = tx.SetMeta(metaPasscode, w.params.Encode())
	}
	if err != nil {
		return nil, err
	}
	// The old binding goes with the old passcode: its sealed object lives
	// only in the blob (nothing is kept in the TPM), so dropping the row
	// drops it.
	if w.binding != nil {
		err = tx.SetMeta(metaPasscodeBinding, w.binding.encode())
	} else {
		err = tx.DeleteMeta(metaPasscodeBinding)
	}
	if err != nil {
		return nil, err
	}
	if err := tx.DeleteMeta(metaFailures); err != nil {
		return nil, err
	}
	gen := st.generation + 1
	if err := tx.SetMeta(metaGeneration, encodeGeneration(gen)); err != nil {
		return nil, err
	}
	all := map[Accessibility][]byte{}
	for c, k := range current {
		if !c.needsPasscode() {
			all[c] = k
		}
	}
	for c, k := range fresh {
		all[c] = k
	}
	return newClassSet(all, !removing, gen), nil
}

// reseal opens every item of the classes in fresh with its current key
// and seals it again under the fresh one.
func (v *storeDB) reseal(tx *storage.Tx, current, fresh map[Accessibility][]byte, progress func(done, total int)) error {
	counts, err := tx.CountItems()
	if err != nil {
		return err
	}
	total := 0
	oldAEAD := map[Accessibility]cipher.AEAD{}
	for c := range fresh {
		total += counts[uint8(c)]
		if current[c] != nil {
			oldAEAD[c] = ciphers(map[Accessibility][]byte{c: current[c]})[c]
		}
	}
	newAEAD := ciphers(fresh)
	if addPresenceCiphers(v.id, current, fresh, oldAEAD, newAEAD) { // auth.go
		total += authItemCount(counts)
	}
	defer zeroCiphers(oldAEAD)
	defer zeroCiphers(newAEAD)
	if progress != nil {
		progress(0, total)
	}
	setter, err := tx.ValueSetter()
	if err != nil {
		return err
	}
	defer setter.Close()
	done := 0
	var after []byte
	for {
		page, err := tx.ItemsAfter(after, rotatePage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for i := range page {
			it := &page[i]
			after = it.ID
			c := Accessibility(it.Class)
			na := newAEAD[c]
			if na == nil {
				continue
			}
			svc, key, err := v.meta.OpenName(it.ID, it.Name)
			if err != nil {
				return fmt.Errorf("%w: an item name does not authenticate; the passcode is unchanged", ErrCorrupt)
			}
			oa := oldAEAD[c]
			if oa == nil {
				return fmt.Errorf("%w: item %q of service %q is in class %v, which has no key; delete it and try again", ErrCorrupt, key, svc, c)
			}
			ad := record.ItemAD(v.id, svc, key, it.Class)
			pt, err := record.Open(oa, it.Value, ad)
			if err != nil {
				return fmt.Errorf("%w: the value of item %q of service %q does not authenticate; delete it and try again (the passcode is unchanged)", ErrCorrupt, key, svc)
			}
			sealed := record.Seal(na, pt, ad)
			clear(pt)
			if err := setter.Set(it.ID, sealed); err != nil {
				return err
			}
			done++
			if progress != nil {
				progress(done, total)
			}
		}
	}
}
