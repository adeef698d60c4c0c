package securestore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/testonly"
)

// fakeClock stands in for the wall clock of the wrong-passcode delay: it
// records what the store would have waited, and waits for nothing.
type fakeClock struct {
	t       time.Time
	slept   []time.Duration
	onSleep func() // if set, called as a wait begins
}

func (f *fakeClock) clock() clock {
	return clock{
		now: func() time.Time { return f.t },
		sleep: func(ctx context.Context, d time.Duration) error {
			f.slept = append(f.slept, d)
			if f.onSleep != nil {
				f.onSleep()
				return ctx.Err()
			}
			f.t = f.t.Add(d)
			return ctx.Err()
		},
	}
}

// takeSleeps returns and forgets the waits so far.
func (f *fakeClock) takeSleeps() []time.Duration {
	s := f.slept
	f.slept = nil
	return s
}

func TestWrongPasscodeDelay(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	cfg := Config{App: "delay", Dir: filepath.Join(t.TempDir(), "store"), Protector: "file"}
	fc := &fakeClock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	open := func() *Store {
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.clock = fc.clock()
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := open()
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	wrong := func(wantWait time.Duration) {
		t.Helper()
		if err := s.Unlock(ctx, []byte("0000")); !errors.Is(err, ErrWrongPasscode) {
			t.Fatalf("Unlock(wrong) = %v", err)
		}
		var want []time.Duration
		if wantWait > 0 {
			want = []time.Duration{wantWait}
		}
		if got := fc.takeSleeps(); !slices.Equal(got, want) {
			t.Fatalf("waited %v before the attempt, want %v", got, want)
		}
	}
	// Three free attempts, then 1 s, 2 s, 4 s after the latest failure.
	wrong(0)
	wrong(0)
	wrong(0)
	wrong(1 * time.Second)
	wrong(2 * time.Second)
	// Time that has passed since the failure counts.
	fc.t = fc.t.Add(3 * time.Second)
	wrong(1 * time.Second) // 4 s after the 5th failure, 3 s of it gone

	// Restarting does not reset the count: the delay is in the store.
	s.Close()
	s = open()
	wrong(8 * time.Second)

	// A wait cut short is not an attempt: nothing is counted, and the
	// store stays locked even for the right passcode.
	canceled, cancel := context.WithCancel(ctx)
	fc.onSleep = cancel
	if err := s.Unlock(canceled, []byte("1234")); !errors.Is(err, context.Canceled) || !s.Locked() {
		t.Fatalf("Unlock canceled during the delay: %v, locked %v", err, s.Locked())
	}
	fc.onSleep = nil
	if got := fc.takeSleeps(); !slices.Equal(got, []time.Duration{16 * time.Second}) {
		t.Fatalf("the canceled attempt waited %v, want 16 s after the 7th failure", got)
	}

	// The right passcode, after its wait, unlocks and resets the count.
	fc.t = fc.t.Add(time.Hour)
	if err := s.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if got := fc.takeSleeps(); len(got) != 0 {
		t.Fatalf("waited %v an hour after the last failure", got)
	}
	wrong(0)
}
