package securestore

import (
	"crypto/cipher"
	"fmt"
)

// classSet is the class keys a store can use right now, as ciphers. It is
// immutable: Lock, Unlock and passcode changes build a new one and swap it
// in, so the GetItem path reads it with one atomic load and no lock.
type classSet struct {
	aead        [numClasses]cipher.AEAD // nil where the key is not available
	hasPasscode bool
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
