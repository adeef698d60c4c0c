package securestore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/testonly"
)

// TestCanceledGuessesCount is the cancel attack: a guesser cancels
// every attempt during its derivation, hoping that a wrong guess then goes
// unrecorded while a right one still unlocks. Every attempt counts, and a
// canceled one answers nothing: not even the right passcode unlocks.
func TestCanceledGuessesCount(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	s, err := Open(ctx, Config{App: "cancel", Dir: filepath.Join(t.TempDir(), "store"), Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	fc := &fakeClock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	clk := fc.clock()
	var cancel context.CancelFunc
	clk.recorded = func() { cancel() }
	s.clock = clk
	guess := func(p string) error {
		var c context.Context
		c, cancel = context.WithCancel(ctx)
		defer cancel()
		return s.Unlock(c, []byte(p))
	}
	for i := range 7 {
		if err := guess("0000"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrWrongPasscode) {
			t.Fatalf("canceled wrong guess %d: %v", i, err)
		}
	}
	if err := guess("1234"); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled right guess: %v", err)
	}
	if !s.Locked() {
		t.Fatal("a canceled right guess unlocked the store")
	}
	st, err := s.own.readPasscodeState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.failures.Count != 8 {
		t.Fatalf("8 canceled attempts left the count at %d, want 8", st.failures.Count)
	}
	// Not canceled, the right passcode unlocks (after its wait) and
	// clears the count.
	s.clock.recorded = nil
	if err := s.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.own.readPasscodeState(ctx); st.failures.Count != 0 {
		t.Fatalf("count %d after the right passcode", st.failures.Count)
	}
}
