package securestore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testonly"
)

// TestUnlockDelay checks that UnlockDelay tells in advance the wait that
// Unlock then waits, and the count behind it, from the first free
// attempts to a right passcode that clears them. The clock is frozen, so
// every wait is the schedule's whole delay and nothing sleeps.
func TestUnlockDelay(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	s := attemptStore(t, filepath.Join(t.TempDir(), "store"))
	if _, _, err := s.UnlockDelay(ctx); !errors.Is(err, securestore.ErrNoPasscode) {
		t.Fatalf("UnlockDelay without a passcode: %v; want ErrNoPasscode", err)
	}
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	securestore.FrozenClockForTest(s, func(d time.Duration) { slept = append(slept, d) })

	delay := func() (time.Duration, int) {
		t.Helper()
		wait, failures, err := s.UnlockDelay(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return wait, failures
	}
	// unlock runs Unlock and returns what it waited, which UnlockDelay
	// must have announced.
	unlock := func(p string, want error) time.Duration {
		t.Helper()
		slept = nil
		if err := s.Unlock(ctx, []byte(p)); !errors.Is(err, want) {
			t.Fatalf("Unlock(%q): %v; want %v", p, err, want)
		}
		var sum time.Duration
		for _, d := range slept {
			sum += d
		}
		return sum
	}

	for i := range 3 { // typos are free
		if wait, failures := delay(); wait != 0 || failures != i {
			t.Fatalf("after %d wrong passcodes UnlockDelay = %v, %d; want 0, %d", i, wait, failures, i)
		}
		if waited := unlock("0000", securestore.ErrWrongPasscode); waited != 0 {
			t.Fatalf("attempt %d waited %v; want none", i+1, waited)
		}
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		wait, failures := delay()
		if wait != want || failures != 3+i {
			t.Fatalf("after %d wrong passcodes UnlockDelay = %v, %d; want %v, %d", 3+i, wait, failures, want, 3+i)
		}
		passcode, err := "0000", error(securestore.ErrWrongPasscode)
		if i == 2 {
			passcode, err = "1234", nil
		}
		if waited := unlock(passcode, err); waited != wait {
			t.Fatalf("UnlockDelay announced %v; Unlock waited %v", wait, waited)
		}
	}
	if wait, failures := delay(); wait != 0 || failures != 0 {
		t.Fatalf("after the right passcode UnlockDelay = %v, %d; want 0, 0", wait, failures)
	}
}
