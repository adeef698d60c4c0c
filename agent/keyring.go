package agent

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/securestore-go/securestore/internal/secmem"
)

// Clock is the agent's time: its Now stamps unlocks and uses, and After
// wakes the auto-lock. Tests pass a clock they move by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// storeKeys is what the agent holds of one store.
type storeKeys struct {
	ref        StoreRef
	generation uint64
	keys       map[uint8]*secmem.Buffer
	keep       map[uint8]bool // AfterFirstUnlock: kept by Lock
	unlockedAt time.Time      // zero once locked
	lastUse    atomic.Int64   // Unix nanoseconds of the last Open or Seal
}

// locked reports whether the classes that Lock drops are gone.
func (s *storeKeys) locked() bool {
	for c := range s.keys {
		if !s.keep[c] {
			return false
		}
	}
	return true
}

// dropUnlocked wipes the keys that Lock drops.
func (s *storeKeys) dropUnlocked() {
	for c, k := range s.keys {
		if !s.keep[c] {
			k.Free()
			delete(s.keys, c)
		}
	}
	s.unlockedAt = time.Time{}
}

func (s *storeKeys) free() {
	for c, k := range s.keys {
		k.Free()
		delete(s.keys, c)
	}
}

// keyring holds every store's keys. Open and Seal hold mu shared while
// they use a key and send their reply; Lock holds it exclusively, so once
// Lock returns no request still holds a key it dropped, and none that
// starts later finds one.
type keyring struct {
	mu     sync.RWMutex
	stores map[string]*storeKeys // by storeName

	lockAfter   time.Duration // 0: no idle lock
	maxUnlocked time.Duration // 0: no maximum

	presence presenceKeys // requireAuthentication (presence.go); Lock wipes them too
}

// storeName identifies a store across clients: its directory and identity.
// The protector is not part of it: a store has one.
func storeName(r StoreRef) string { return r.Dir + "\x00" + r.ID() }

// install replaces the store's keys with k (which it takes over).
func (kr *keyring) install(ref StoreRef, k *Keys, now time.Time) {
	sk := &storeKeys{ref: ref, generation: k.Generation, keys: map[uint8]*secmem.Buffer{}, keep: map[uint8]bool{}, unlockedAt: now}
	sk.lastUse.Store(now.UnixNano())
	for _, c := range k.Classes {
		if old := sk.keys[c.Class]; old != nil {
			old.Free()
		}
		sk.keys[c.Class] = c.Key
		sk.keep[c.Class] = c.KeepOnLock
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if old := kr.stores[storeName(ref)]; old != nil {
		old.free()
	}
	kr.stores[storeName(ref)] = sk
}

// lock drops the WhenUnlocked keys of ref's store, or of every store.
func (kr *keyring) lock(ref StoreRef) {
	kr.presence.lock(ref)
	kr.mu.Lock()
	defer kr.mu.Unlock()
	for name, sk := range kr.stores {
		if ref.IsZero() || name == storeName(ref) {
			kr.dropLocked(name, sk)
		}
	}
}

// dropLocked drops sk's WhenUnlocked keys, and sk itself once empty. The
// caller holds mu.
func (kr *keyring) dropLocked(name string, sk *storeKeys) {
	sk.dropUnlocked()
	if len(sk.keys) == 0 {
		delete(kr.stores, name)
	}
}

// freeAll wipes everything: the agent ends.
func (kr *keyring) freeAll() {
	kr.presence.lock(StoreRef{})
	kr.mu.Lock()
	defer kr.mu.Unlock()
	for name, sk := range kr.stores {
		sk.free()
		delete(kr.stores, name)
	}
}

// deadlines returns when sk's WhenUnlocked keys lock by themselves (zero
// times for none).
func (kr *keyring) deadlines(sk *storeKeys) (idle, max time.Time) {
	if sk.locked() {
		return
	}
	if kr.lockAfter > 0 {
		idle = time.Unix(0, sk.lastUse.Load()).Add(kr.lockAfter)
	}
	if kr.maxUnlocked > 0 {
		max = sk.unlockedAt.Add(kr.maxUnlocked)
	}
	return
}

// due reports whether a store's auto-lock time has come; next is the
// earliest time one will (zero: none).
func (kr *keyring) due(now time.Time) (due bool, next time.Time) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	for _, sk := range kr.stores {
		idle, max := kr.deadlines(sk)
		for _, t := range [2]time.Time{idle, max} {
			switch {
			case t.IsZero():
			case !t.After(now):
				due = true
			case next.IsZero() || t.Before(next):
				next = t
			}
		}
	}
	return due, next
}

// expire locks every store whose auto-lock time has come.
func (kr *keyring) expire(now time.Time) {
	if due, _ := kr.due(now); !due {
		return
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	for name, sk := range kr.stores {
		idle, max := kr.deadlines(sk)
		if (!idle.IsZero() && !idle.After(now)) || (!max.IsZero() && !max.After(now)) {
			kr.dropLocked(name, sk)
		}
	}
}

// status describes the stores (ref's, or all), sorted by name.
func (kr *keyring) status(ref StoreRef) []StoreStatus {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	var out []StoreStatus
	for name, sk := range kr.stores {
		if !ref.IsZero() && name != storeName(ref) {
			continue
		}
		st := StoreStatus{Store: sk.ref, Locked: sk.locked(), Generation: sk.generation}
		for c := range sk.keys {
			st.Classes = append(st.Classes, c)
		}
		slices.Sort(st.Classes)
		if !sk.unlockedAt.IsZero() {
			st.UnlockedAt = sk.unlockedAt.UnixNano()
		}
		idle, max := kr.deadlines(sk)
		if !idle.IsZero() {
			st.IdleLockAt = idle.UnixNano()
		}
		if !max.IsZero() {
			st.MaxLockAt = max.UnixNano()
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b StoreStatus) int {
		return compareStrings(storeName(a.Store), storeName(b.Store))
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// forgetGeneration drops the store's keys if they are still of generation
// g (an Unlock may have replaced them meanwhile).
func (kr *keyring) forgetGeneration(ref StoreRef, g uint64) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if sk := kr.stores[storeName(ref)]; sk != nil && sk.generation == g {
		sk.free()
		delete(kr.stores, storeName(ref))
	}
}
