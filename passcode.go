package securestore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SetPasscode sets, changes or removes the passcode of the app's store.
// old is the current passcode (empty when none is set); new is the new one
// (empty removes the passcode). Both slices are wiped before SetPasscode
// returns.
//
// Setting or changing a passcode leaves the store unlocked: its owner just
// proved it. Setting, changing or removing it gives the passcode classes
// fresh keys and re-seals their items (SetPasscodeWithProgress). Other
// Store handles of the store, in this process or others, then hold stale
// keys: their writes of those classes fail with ErrLocked (or ErrNoPasscode
// for WhenPasscodeSetThisDeviceOnly once the passcode is gone) and write
// nothing, until they Unlock with the new passcode.
// Removing it deletes every WhenPasscodeSetThisDeviceOnly item, as Expo's
// SecureStore SDK 38 documentation says. A wrong old passcode fails with
// ErrWrongPasscode and counts towards the wrong-passcode delay (see
// Unlock).
//
// The passcode protects the app's own store. Access-group stores, which
// several apps share, have no passcode: their WhenPasscodeSetThisDeviceOnly
// items fail with ErrNoPasscode and their other classes stay readable.
func (s *Store) SetPasscode(ctx context.Context, old, new []byte) error {
	return s.SetPasscodeWithProgress(ctx, old, new, nil)
}

// SetPasscodeWithProgress is SetPasscode that reports its progress: it
// calls progress (if not nil) with how many of the items it re-seals are
// done, from the goroutine that called it. Setting, changing or removing a
// passcode gives every class but Always and AlwaysThisDeviceOnly fresh keys
// and re-seals their items under them, in the one transaction that changes
// the passcode: a copy of the store from before the change cannot read any
// item written after it. That is one open and one seal per item: seconds at
// 100,000 items (docs/BENCHMARKS.md).
func (s *Store) SetPasscodeWithProgress(ctx context.Context, old, new []byte, progress func(done, total int)) error {
	defer clear(old)
	defer clear(new)
	v, done, err := s.ownDB(ctx)
	if err != nil {
		return fmt.Errorf("securestore: set passcode: %w", err)
	}
	defer done()
	if err := v.setPasscode(ctx, s.clock, s.cfg.costs.passcode, old, new, progress); err != nil {
		return fmt.Errorf("securestore: set passcode of %s: %w", v.describe(), err)
	}
	return nil
}

// Unlock makes every class readable with the passcode, which is wiped
// before Unlock returns. The passcode key is derived (Argon2id, about half a
// second) once per Unlock, never per item.
//
// A wrong passcode fails with ErrWrongPasscode. After three wrong passcodes
// in a row, each further attempt first waits (honouring ctx) 1 s, then 2 s,
// 4 s, ... up to 15 minutes after the latest failure; the count is kept in
// the store, so restarting the program does not reset it, and a right
// passcode does.
//
// Every attempt counts, in every process: it is recorded before the
// passcode key is derived, and attempts take turns, across goroutines and
// processes. If ctx ends once the attempt is recorded, Unlock returns ctx's
// error and gives no answer: the store stays locked even for the right
// passcode, and the attempt stays counted. The count lives in the store's
// file: it slows guessing through this API, not someone who can write the
// file (docs/SECURITY.md).
func (s *Store) Unlock(ctx context.Context, passcode []byte) error {
	defer clear(passcode)
	v, done, err := s.ownDB(ctx)
	if err != nil {
		return fmt.Errorf("securestore: unlock: %w", err)
	}
	defer done()
	if v.agent != nil {
		return v.agentUnlock(ctx, passcode)
	}
	if err := v.unlock(ctx, s.clock, passcode); err != nil {
		return fmt.Errorf("securestore: unlock %s: %w", v.describe(), err)
	}
	return nil
}

// UnlockDelay is how long an Unlock called now would wait before trying
// its passcode, and the count of wrong passcodes in a row that asks for
// that wait (see Unlock), so that a program can say so before it waits —
// "waiting 4 s after 5 wrong passcodes". It reads the count and waits for
// nothing. The answer is advice: another attempt, in this process or
// another, may change it before Unlock runs, and Unlock enforces its own
// reading of the schedule. A store with no passcode fails with
// ErrNoPasscode.
func (s *Store) UnlockDelay(ctx context.Context) (wait time.Duration, failures int, err error) {
	v, done, err := s.ownDB(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("securestore: unlock delay: %w", err)
	}
	defer done()
	st, err := v.readPasscodeState(ctx)
	if err == nil && st.params == nil {
		err = ErrNoPasscode
	}
	if err != nil {
		return 0, 0, fmt.Errorf("securestore: unlock delay of %s: %w", v.describe(), err)
	}
	return st.failures.Wait(s.clock.now()), st.failures.Count, nil
}

// Lock makes the WhenUnlocked classes unreadable again until Unlock.
// AfterFirstUnlock classes stay readable until the Store is closed: the
// process is the "boot" they were unlocked in. Lock does nothing when no
// passcode is set.
func (s *Store) Lock() error {
	v, done, err := s.ownDB(context.Background())
	if err != nil {
		return fmt.Errorf("securestore: lock: %w", err)
	}
	defer done()
	v.lock()
	if v.agent != nil {
		return v.agentLock(context.Background())
	}
	return nil
}

// Locked reports whether a passcode is set and the store is locked, so
// that WhenUnlocked items cannot be read until Unlock. A closed store
// reports true.
func (s *Store) Locked() bool {
	v, done, err := s.ownDB(context.Background())
	if errors.Is(err, ErrNoStore) {
		return false // nothing to unlock: every operation says ErrNoStore
	}
	if err != nil {
		return true
	}
	defer done()
	if v.agent != nil {
		return v.agentLocked()
	}
	return v.classes.Load().locked()
}

// ownDB is the prologue of the store-wide operations: the shared lock
// (released by the returned func) and the app's own store.
func (s *Store) ownDB(ctx context.Context) (*storeDB, func(), error) {
	s.mu.RLock()
	if err := s.check(ctx); err != nil {
		s.mu.RUnlock()
		return nil, nil, err
	}
	if s.own == nil {
		s.mu.RUnlock()
		return nil, nil, noStoreErr(s.cfg.dir, "app", s.cfg.app)
	}
	return s.own, s.mu.RUnlock, nil
}
