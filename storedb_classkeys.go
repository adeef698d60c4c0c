package securestore

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/secmem"
	"github.com/securestore-go/securestore/internal/storage"
)

// classSet is the class keys a store can use right now. It is immutable
// once published: Lock, Unlock and passcode changes build a new one and
// swap it in (publish), so that GetItem finds it with one atomic load.
//
// The raw keys sit in one secmem buffer (locked, out of core dumps) that
// the set owns; no cipher object holds them between operations: aead
// builds one per operation, and the caller zeroes it (record.ZeroAEAD).
// A set that is replaced is wiped as soon as no reader uses it any more:
// a reader takes a reference (readClasses) for as long as it reads the
// keys, and the last reference dropped wipes and frees the buffer.
type classSet struct {
	buf         *secmem.Buffer // numClasses slots of keys.Size bytes; nil when the set has no key
	has         [numClasses]bool
	hasPasscode bool
	generation  uint64 // of the keys (storedb_generation.go)

	// refs is 1 for being published (before that: for its builder), plus
	// 1 per reader. It never rises again from 0, where the keys are wiped.
	refs atomic.Int64
}

// newClassSet returns an unpublished set holding copies of raw (which the
// caller still wipes), with one reference: publish or release it.
func newClassSet(raw map[Accessibility][]byte, hasPasscode bool, generation uint64) *classSet {
	cs := &classSet{hasPasscode: hasPasscode, generation: generation}
	cs.refs.Store(1)
	if len(raw) > 0 {
		cs.buf = secmem.New(int(numClasses) * keys.Size)
		for c, k := range raw {
			if len(k) != keys.Size {
				panic("securestore: a class key of the wrong size") // unwrap checks the size
			}
			copy(cs.slot(c), k)
			cs.has[c] = true
		}
	}
	return cs
}

func (cs *classSet) slot(c Accessibility) []byte {
	return cs.buf.Bytes()[int(c)*keys.Size : (int(c)+1)*keys.Size]
}

// acquire takes a reader's reference, unless the set is already wiped.
func (cs *classSet) acquire() bool {
	for {
		n := cs.refs.Load()
		if n <= 0 {
			return false
		}
		if cs.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference; the last one wipes the keys.
func (cs *classSet) release() {
	switch n := cs.refs.Add(-1); {
	case n == 0:
		cs.buf.Free()
	case n < 0:
		panic("securestore: class set released more often than acquired")
	}
}

// aead returns a cipher of class c's key, or why the key is not available.
// The caller holds a reference to cs, and zeroes the cipher with
// record.ZeroAEAD once its operation is done.
func (cs *classSet) aead(c Accessibility) (cipher.AEAD, error) {
	if !c.valid() {
		return nil, fmt.Errorf("%w: unknown class %d", ErrCorrupt, int(c))
	}
	if cs.has[c] {
		aead, err := record.NewAEAD(cs.slot(c))
		if err != nil {
			panic(err) // class keys are always keys.Size bytes
		}
		return aead, nil
	}
	if c == WhenPasscodeSetThisDeviceOnly && !cs.hasPasscode {
		return nil, ErrNoPasscode
	}
	return nil, ErrLocked
}

// locked reports whether a passcode is set and WhenUnlocked items cannot
// be read until Unlock. It reads no key: no reference needed.
func (cs *classSet) locked() bool { return cs.hasPasscode && !cs.has[WhenUnlocked] }

// view returns the keys of cs that keep selects, as slices of its buffer
// (no copies); the caller holds a reference while it uses them.
func (cs *classSet) view(keep func(Accessibility) bool) map[Accessibility][]byte {
	out := map[Accessibility][]byte{}
	for c, ok := range cs.has {
		if ok && keep(Accessibility(c)) {
			out[Accessibility(c)] = cs.slot(Accessibility(c))
		}
	}
	return out
}

// with returns a new, unpublished set with cs's keys and those of add. The
// caller holds a reference to cs.
func (cs *classSet) with(add map[Accessibility][]byte, hasPasscode bool) *classSet {
	all := cs.view(func(Accessibility) bool { return true })
	maps.Copy(all, add)
	return newClassSet(all, hasPasscode, cs.generation)
}

// lockedCopy returns a new, unpublished set without the keys that Lock
// drops. The caller holds a reference to cs.
func (cs *classSet) lockedCopy() *classSet {
	return newClassSet(cs.view(func(c Accessibility) bool { return !c.droppedOnLock() }), cs.hasPasscode, cs.generation)
}

// readClasses returns the handle's current class set with a reader's
// reference, which the caller releases once done with the keys.
func (v *storeDB) readClasses() *classSet {
	for {
		// A set replaced between the load and acquire is wiped already;
		// the next load finds its successor.
		if cs := v.classes.Load(); cs.acquire() {
			return cs
		}
	}
}

// publish makes next (unpublished, with its one reference) the handle's
// class set, and retires the set it replaces: wiped once its last reader
// is done.
func (v *storeDB) publish(next *classSet) {
	if old := v.classes.Swap(next); old != nil {
		old.release()
	}
}

// publishIf publishes next only if the current set is still old, and
// drops next otherwise.
func (v *storeDB) publishIf(old, next *classSet) {
	if v.classes.CompareAndSwap(old, next) {
		old.release()
	} else {
		next.release()
	}
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

// testHookPasscodeKEK, set only by tests, sees each passcode KEK as it is
// used: the memory test looks for copies of it after Lock.
var testHookPasscodeKEK func(kek []byte)

// unwrapClassKeys unwraps, with kek (which it wipes), the class keys
// wrapped as wrapping. If none of them unwraps it returns errWrongKEK; if
// only some do, the others are damaged (ErrCorrupt). The caller wipes the
// keys (wipeKeys).
func (v *storeDB) unwrapClassKeys(wrapped []storage.ClassKey, wrapping uint8, kek []byte) (map[Accessibility][]byte, error) {
	defer keys.Wipe(kek)
	if wrapping == keys.WrapDevicePasscode && testHookPasscodeKEK != nil {
		testHookPasscodeKEK(kek)
	}
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

// ciphers turns class keys into their ciphers; the caller zeroes them
// (zeroCiphers).
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

func zeroCiphers(m map[Accessibility]cipher.AEAD) {
	for _, a := range m {
		record.ZeroAEAD(a)
	}
}

func wipeKeys(raw map[Accessibility][]byte) {
	for _, k := range raw {
		keys.Wipe(k)
	}
}
