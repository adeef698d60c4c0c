package securestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/passcode"
	"github.com/securestore-go/securestore/internal/testonly"
)

func init() { helperModes["passcode-guesser"] = helperPasscodeGuesser }

// scheduleSum is the least total wait that attempts number from+1 ... to
// (counting every attempt since the last right one) must have waited: the
// delay after k recorded attempts is passcode.Failures{Count: k}.Delay().
func scheduleSum(from, to int) time.Duration {
	var sum time.Duration
	for k := from; k < to; k++ {
		sum += passcode.Failures{Count: k}.Delay()
	}
	return sum
}

func attemptStore(t *testing.T, dir string) *securestore.Store {
	t.Helper()
	s, err := securestore.Open(testonly.WithCheapKDFs(context.Background()),
		securestore.Config{App: "guess", Dir: dir, Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPasscodeGuessesRace is the race: many goroutines guessing at
// once. Every attempt is counted (none overwrites another's count from a
// stale read), and together they waited at least the whole schedule.
func TestPasscodeGuessesRace(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	s := attemptStore(t, filepath.Join(t.TempDir(), "store"))
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	var waited time.Duration
	securestore.FrozenClockForTest(s, func(d time.Duration) { waited += d })
	const guesses = 40
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			if err := s.Unlock(ctx, fmt.Appendf(nil, "%04d", 5000+i)); !errors.Is(err, securestore.ErrWrongPasscode) {
				t.Errorf("guess %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	n, err := securestore.PasscodeFailuresForTest(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if n != guesses {
		t.Fatalf("%d concurrent wrong guesses left the count at %d", guesses, n)
	}
	if want := scheduleSum(0, guesses); waited < want {
		t.Fatalf("%d guesses waited %v in all, the schedule asks for %v", guesses, waited, want)
	}
}

// TestPasscodeGuessesRaceProcesses: the same across processes, which share
// nothing but the store's file.
func TestPasscodeGuessesRaceProcesses(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	dir := filepath.Join(t.TempDir(), "store")
	s := attemptStore(t, dir)
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	var waited time.Duration
	securestore.FrozenClockForTest(s, func(d time.Duration) { waited += d })
	const procs, perProc, goroutines = 3, 4, 4
	var ps []*helperProc
	for range procs {
		ps = append(ps, helperStart(t, "passcode-guesser", dir, strconv.Itoa(perProc)))
	}
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			if err := s.Unlock(ctx, fmt.Appendf(nil, "%04d", 6000+i)); !errors.Is(err, securestore.ErrWrongPasscode) {
				t.Errorf("guess %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, p := range ps {
		line, ok := p.next()
		if !ok {
			t.Fatalf("helper ended without a report: %v\n%s", p.wait(), p.stderr)
		}
		d, err := time.ParseDuration(line)
		if err != nil {
			t.Fatalf("helper reported %q: %v\n%s", line, err, p.stderr)
		}
		waited += d
		if err := p.wait(); err != nil {
			t.Fatalf("helper: %v\n%s", err, p.stderr)
		}
	}
	total := procs*perProc + goroutines
	n, err := securestore.PasscodeFailuresForTest(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if n != total {
		t.Fatalf("%d wrong guesses from %d processes left the count at %d", total, procs+1, n)
	}
	if want := scheduleSum(0, total); waited < want {
		t.Fatalf("%d guesses waited %v in all, the schedule asks for %v", total, waited, want)
	}
}

// helperPasscodeGuesser makes args[1] wrong guesses at the store in
// args[0] from as many goroutines, with a frozen clock, and prints the
// total of the waits it was asked for.
func helperPasscodeGuesser(args []string) int {
	ctx := testonly.WithCheapKDFs(context.Background())
	n, _ := strconv.Atoi(args[1])
	s, err := securestore.Open(ctx, securestore.Config{App: "guess", Dir: args[0], Protector: "file"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	var waited time.Duration
	securestore.FrozenClockForTest(s, func(d time.Duration) { waited += d })
	var wg sync.WaitGroup
	failed := false
	var mu sync.Mutex
	for i := range n {
		wg.Go(func() {
			if err := s.Unlock(ctx, fmt.Appendf(nil, "%d%03d", os.Getpid()%10, i)); !errors.Is(err, securestore.ErrWrongPasscode) {
				fmt.Fprintln(os.Stderr, "guess:", err)
				mu.Lock()
				failed = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed {
		return 1
	}
	fmt.Println(waited)
	return 0
}
