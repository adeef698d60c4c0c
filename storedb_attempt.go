package securestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/passcode"
	"github.com/securestore-go/securestore/internal/storage"
)

// A passcode attempt, and why every one of them counts.
//
// An attempt is recorded in the store (failure count + 1) BEFORE its
// Argon2id derivation starts, in one write transaction that reads the
// count fresh: SQLite's write lock serialises that transaction across
// processes, and v.attempts serialises attempts within this process. The
// recording is not cancelable by the caller. Only after the derivation does
// the attempt learn its answer; a right passcode then clears the count. A
// caller whose context ends after the recording gets ctx's error and no
// answer: the store stays locked and the count stays up, so cancelling is
// never cheaper than guessing.

// attemptTimeout bounds the transactions an attempt runs on a context the
// caller cannot cancel: waiting for the write lock, then the write.
const attemptTimeout = storage.BusyTimeout + 5*time.Second

// errAttemptRaced reports that another attempt was recorded between this
// attempt's wait and its recording: the wait was for a schedule that no
// longer applies, so the attempt waits again.
var errAttemptRaced = errors.New("another passcode attempt was recorded meanwhile")

// checkPasscode runs one passcode attempt: it waits out the wrong-passcode
// delay, records the attempt, derives the passcode key and unwraps the
// passcode-protected class keys with it (the caller wipes them). It returns
// the passcode state the attempt was recorded against. A wrong passcode
// fails with ErrWrongPasscode; ctx ending after the recording fails with
// ctx's error and says nothing about p.
func (v *storeDB) checkPasscode(ctx context.Context, clk clock, p []byte) (map[Accessibility][]byte, *passcodeState, error) {
	select {
	case v.attempts <- struct{}{}:
		defer func() { <-v.attempts }()
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	st, err := v.recordAttempt(ctx, clk)
	if err != nil {
		return nil, nil, err
	}
	if clk.recorded != nil {
		clk.recorded()
	}
	var got map[Accessibility][]byte
	kek, err := v.attemptKEK(ctx, st, st.params.Key(p))
	if err == nil {
		got, err = v.unwrapClassKeys(st.wrapped, keys.WrapDevicePasscode, kek)
	}
	if cerr := ctx.Err(); cerr != nil {
		// The attempt counts, and its answer is withheld: clearing the
		// count or unlocking would tell a canceling guesser "right".
		wipeKeys(got)
		return nil, nil, fmt.Errorf("the passcode attempt was counted and not answered: %w", cerr)
	}
	wrong := func() error {
		if d := st.failures.Delay(); d > 0 {
			return fmt.Errorf("%w (%d in a row: the next attempt waits %v)", ErrWrongPasscode, st.failures.Count, d)
		}
		return ErrWrongPasscode
	}
	if errors.Is(err, errWrongKEK) {
		return nil, nil, wrong()
	}
	if berr := bindingError(err, wrong); berr != nil {
		return nil, nil, berr
	}
	if err != nil {
		return nil, nil, err
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), attemptTimeout)
	defer cancel()
	if err := v.db.Update(dctx, func(tx *storage.Tx) error { return tx.DeleteMeta(metaFailures) }); err != nil {
		wipeKeys(got)
		return nil, nil, storageErr(err)
	}
	st.failures = passcode.Failures{}
	return got, st, nil
}

// recordAttempt waits out the delay the failure count asks for, then
// records one more attempt, in a transaction that checks that the count it
// waited for is still the count; if another attempt (in any process) came
// first, it waits again for the new count. It returns the passcode state
// read in the recording transaction, its failures being the recorded ones.
func (v *storeDB) recordAttempt(ctx context.Context, clk clock) (*passcodeState, error) {
	for {
		st, err := v.readPasscodeState(ctx)
		if err != nil {
			return nil, err
		}
		if st.params == nil {
			return nil, ErrNoPasscode
		}
		if wait := st.failures.Wait(clk.now()); wait > 0 {
			if err := clk.sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("waiting %v after %d wrong passcodes: %w", wait.Round(time.Second), st.failures.Count, err)
			}
		}
		// The last moment the caller may still walk away uncounted.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var fresh *passcodeState
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), attemptTimeout)
		err = v.db.Update(dctx, func(tx *storage.Tx) error {
			var err error
			if fresh, err = readPasscodeStateTx(tx); err != nil {
				return err
			}
			if fresh.params == nil {
				return ErrNoPasscode
			}
			if fresh.failures.Count != st.failures.Count || !fresh.failures.Last.Equal(st.failures.Last) {
				return errAttemptRaced
			}
			fresh.failures = passcode.Failures{Count: st.failures.Count + 1, Last: clk.now()}
			return tx.SetMeta(metaFailures, fresh.failures.Encode())
		})
		cancel()
		if errors.Is(err, errAttemptRaced) {
			continue
		}
		if err != nil {
			return nil, storageErr(err)
		}
		return fresh, nil
	}
}
