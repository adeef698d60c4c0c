package securestore

import (
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
)

// classSet is the class keys a store can use right now, as ciphers. It is
// immutable: Lock, Unlock and passcode changes build a new one and swap it
// in, so the GetItem path reads it with one atomic load and no lock.
type classSet struct {
	aead        [numClasses]cipher.AEAD // nil where the key is not available
	hasPasscode bool
	generation  uint64 // of the keys (storedb_generation.go)
}

// key returns the cipher of class c, or why it is not available.
func (cs *classSet) key(c Accessibility) (cipher.AEAD, error) {
	if !c.valid() {
		return nil, fmt.Errorf("%w: unknown class %d", ErrCorrupt, int(c))
	}
	if aead := cs.aead[c]; aead != nil {
		return aead, nil
	}
	if c == WhenPasscodeSetThisDeviceOnly && !cs.hasPasscode {
		return nil, ErrNoPasscode
	}
	return nil, ErrLocked
}

// locked reports whether a passcode is set and WhenUnlocked items cannot
// be read until Unlock.
func (cs *classSet) locked() bool { return cs.hasPasscode && cs.aead[WhenUnlocked] == nil }

// with returns a copy of cs that has the given ciphers too.
func (cs *classSet) with(add map[Accessibility]cipher.AEAD, hasPasscode bool) *classSet {
	n := *cs
	n.hasPasscode = hasPasscode
	for c, a := range add {
		n.aead[c] = a
	}
	return &n
}

// lockedCopy returns a copy of cs without the keys that Lock drops.
func (cs *classSet) lockedCopy() *classSet {
	n := *cs
	for c := range n.aead {
		if Accessibility(c).droppedOnLock() {
			n.aead[c] = nil
		}
	}
	return &n
}

// needsPasscode reports whether a passcode, once set, protects the class:
// every class but Always and AlwaysThisDeviceOnly.
func (a Accessibility) needsPasscode() bool {
	return a != Always && a != AlwaysThisDeviceOnly
}

// droppedOnLock reports whether Lock makes the class unreadable again:
// the WhenUnlocked classes. AfterFirstUnlock classes stay readable once
// unlocked ("since boot"), until the Store is closed.
func (a Accessibility) droppedOnLock() bool {
	return a == WhenUnlocked || a == WhenUnlockedThisDeviceOnly || a == WhenPasscodeSetThisDeviceOnly
}

// deviceKEK derives the key that wraps the class keys needing no passcode.
// The caller wipes it.
func (v *storeDB) deviceKEK() []byte { return keys.DeviceKEK(v.device, v.id) }

// errWrongKEK reports that the first class key did not unwrap: the key
// encryption key is wrong (a wrong passcode), not the data damaged.
var errWrongKEK = errors.New("class keys do not unwrap with this key")

// unwrapClassKeys unwraps, with kek (which it wipes), the class keys
// wrapped as wrapping. If none of them unwraps it returns errWrongKEK; if
// only some do, the others are damaged (ErrCorrupt). The caller wipes the
// keys (wipeKeys).
func (v *storeDB) unwrapClassKeys(wrapped []storage.ClassKey, wrapping uint8, kek []byte) (map[Accessibility][]byte, error) {
	defer keys.Wipe(kek)
	out := map[Accessibility][]byte{}
	failed := 0
	for _, w := range wrapped {
		if w.Wrapping != wrapping {
			continue
		}
		ck, err := keys.UnwrapClassKey(kek, v.id, w.Class, w.Wrapping, w.Blob)
		if err != nil {
			failed++
			continue
		}
		out[Accessibility(w.Class)] = ck
	}
	switch {
	case failed > 0 && len(out) == 0 && wrapping == keys.WrapDevicePasscode:
		return nil, errWrongKEK
	case failed > 0:
		wipeKeys(out)
		return nil, fmt.Errorf("%w: %d class keys do not unwrap", ErrCorrupt, failed)
	}
	return out, nil
}

// checkClassKeys checks that the store has the class keys it must have:
// every class but WhenPasscodeSetThisDeviceOnly always, and that one while a
// passcode is set, each wrapped the way the passcode state says. A missing
// or misfiled key means the store is damaged, not locked.
func checkClassKeys(wrapped []storage.ClassKey, hasPasscode bool) error {
	var have [numClasses]bool
	for _, w := range wrapped {
		c := Accessibility(w.Class)
		if !c.valid() {
			return fmt.Errorf("%w: class key for unknown class %d", ErrCorrupt, w.Class)
		}
		want := keys.WrapDevice
		if hasPasscode && c.needsPasscode() {
			want = keys.WrapDevicePasscode
		}
		if w.Wrapping != want {
			return fmt.Errorf("%w: the key of class %v has wrapping %d, want %d", ErrCorrupt, c, w.Wrapping, want)
		}
		have[c] = true
	}
	for c, ok := range have {
		if !ok && (hasPasscode || Accessibility(c) != WhenPasscodeSetThisDeviceOnly) {
			return fmt.Errorf("%w: the key of class %v is missing", ErrCorrupt, Accessibility(c))
		}
	}
	return nil
}

// ciphers turns class keys into their ciphers.
func ciphers(raw map[Accessibility][]byte) map[Accessibility]cipher.AEAD {
	out := make(map[Accessibility]cipher.AEAD, len(raw))
	for c, k := range raw {
		aead, err := record.NewAEAD(k)
		if err != nil {
			panic(err) // class keys are always keys.Size bytes
		}
		out[c] = aead
	}
	return out
}

func wipeKeys(raw map[Accessibility][]byte) {
	for _, k := range raw {
		keys.Wipe(k)
	}
}
