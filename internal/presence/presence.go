package presence

import (
	"sync"
	"time"
)

// MaxWindow is the longest reuse window, as iOS caps LAContext's
// (LATouchIDAuthenticationMaximumAllowableReuseDuration, 5 minutes).
const MaxWindow = 5 * time.Minute

// Scope is what a proof covers: a store, and an item in it or, with Item
// empty, all of its items. The strings are the caller's identities (the
// agent's store reference, the item's key), compared as they are.
type Scope struct {
	Store string
	Item  string
}

// Proof is one proof of presence: for what, and when the user gave it.
type Proof struct {
	Scope Scope
	At    time.Time
}

// Fresh reports whether the proof still allows a read at now within the
// reuse window: no more than window after At, by both the monotonic and
// the wall clock, and never when now is before At. window is cut to
// MaxWindow; 0 or less is never fresh.
func (p Proof) Fresh(now time.Time, window time.Duration) bool {
	window = ClampWindow(window)
	if window <= 0 {
		return false
	}
	mono := now.Sub(p.At)                   // monotonic when both readings have one
	wall := now.Round(0).Sub(p.At.Round(0)) // wall clock only
	return 0 <= mono && mono < window && 0 <= wall && wall < window
}

// Expiry is when the proof stops being fresh for window (At itself for a
// window of 0).
func (p Proof) Expiry(window time.Duration) time.Time {
	return p.At.Add(max(ClampWindow(window), 0))
}

// ClampWindow cuts a reuse window to MaxWindow.
func ClampWindow(window time.Duration) time.Duration { return min(window, MaxWindow) }

// Ledger holds the latest proof for each scope. It is safe for concurrent
// use.
type Ledger struct {
	now func() time.Time

	mu     sync.Mutex
	proofs map[Scope]time.Time
}

// NewLedger returns an empty ledger that reads the time from now (nil
// means time.Now).
func NewLedger(now func() time.Time) *Ledger {
	if now == nil {
		now = time.Now
	}
	return &Ledger{now: now, proofs: map[Scope]time.Time{}}
}

// Record notes that the user proved presence for scope just now, and
// returns the proof.
func (l *Ledger) Record(scope Scope) Proof {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := l.now() // under the lock: a Prune never sees a proof from its future
	l.proofs[scope] = at
	return Proof{Scope: scope, At: at}
}

// Fresh reports whether a proof for scope, or for its whole store, is
// fresh now within window.
func (l *Ledger) Fresh(scope Scope, window time.Duration) bool {
	_, ok := l.Latest(scope, window)
	return ok
}

// Latest returns the freshest proof that covers scope (the item's own, or
// its store's) and whether it is fresh now within window.
func (l *Ledger) Latest(scope Scope, window time.Duration) (Proof, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var best Proof
	found := false
	for _, s := range []Scope{scope, {Store: scope.Store}} {
		at, ok := l.proofs[s]
		if !ok {
			continue
		}
		p := Proof{Scope: s, At: at}
		if p.Fresh(now, window) && (!found || at.After(best.At)) {
			best, found = p, true
		}
	}
	return best, found
}

// Forget drops every proof for store, as when the store locks.
func (l *Ledger) Forget(store string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.proofs {
		if s.Store == store {
			delete(l.proofs, s)
		}
	}
}

// Clear drops every proof, as when the session locks or the machine
// sleeps.
func (l *Ledger) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.proofs)
}

// Prune drops the proofs that are no longer fresh for window (the
// longest window any item uses), so that the ledger does not grow.
func (l *Ledger) Prune(window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for s, at := range l.proofs {
		if !(Proof{Scope: s, At: at}).Fresh(now, window) {
			delete(l.proofs, s)
		}
	}
}

// Len returns how many proofs the ledger holds.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.proofs)
}
