//go:build unix

package securestore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testonly"
)

// A passcode set, change or removal is a rotation: fresh class keys, every
// item of the passcode classes re-sealed, the new wrapped keys and passcode
// parameters written, all in one transaction. These tests kill a process
// with SIGKILL at random points of such rotations and check that the store
// then holds either the old passcode state or the new one, never a mix:
// exactly one of the old and new passcodes unlocks it (or neither is
// needed, when that state has no passcode), and every item reads back with
// its value under it.

func init() { helperModes["passcode-rotator"] = helperPasscodeRotator }

// pcrashItems is how many items the store holds, spread over every class
// and two services.
const pcrashItems = 200

// pcrashLongEnv runs the long version: many more kills.
const pcrashLongEnv = "SECURESTORE_TEST_LONG"

var allClasses = append(slices.Clone(writableClasses), securestore.WhenPasscodeSetThisDeviceOnly)

type pcrashItem struct {
	service, key string
	class        securestore.Accessibility
}

func (it pcrashItem) opts() *securestore.Options {
	return &securestore.Options{KeychainService: it.service, KeychainAccessible: it.class}
}

// value is the item's value; it names the item, so a value re-sealed into
// the wrong row would show.
func (it pcrashItem) value() string {
	return fmt.Sprintf("%s/%s|%v|%s", it.service, it.key, it.class, strings.Repeat("v", len(it.key)*7))
}

func pcrashPool() []pcrashItem {
	var pool []pcrashItem
	for i := range pcrashItems {
		pool = append(pool, pcrashItem{
			service: []string{"pcA", "pcB"}[i%2],
			key:     fmt.Sprintf("k%03d", i),
			class:   allClasses[i%len(allClasses)],
		})
	}
	return pool
}

func pcrashOpen(ctx context.Context, dir string) (*securestore.Store, error) {
	return securestore.Open(testonly.WithCheapKDFs(ctx), securestore.Config{App: "pcrash", Dir: dir, Protector: "file"})
}

// pcrashScript generates a rotator's passcode ops from its seed and the
// passcode state it starts from ("" = no passcode): set when there is
// none, else change (two in three) or remove.
type pcrashScript struct {
	rng   *rand.Rand
	seed  uint64
	state string
	n     int
}

type pcrashOp struct{ old, new string }

func (op pcrashOp) String() string {
	switch {
	case op.old == "":
		return "set"
	case op.new == "":
		return "remove"
	}
	return "change"
}

func newPcrashScript(seed uint64, state string) *pcrashScript {
	return &pcrashScript{rng: rand.New(rand.NewPCG(seed, 0x9c0de)), seed: seed, state: state}
}

func (s *pcrashScript) next() pcrashOp {
	op := pcrashOp{old: s.state}
	if s.state == "" || s.rng.IntN(3) > 0 {
		op.new = fmt.Sprintf("pc-%x-%d", s.seed, s.n)
	}
	s.state = op.new
	s.n++
	return op
}

// helperPasscodeRotator: args dir, seed; the first stdin line is "state"
// followed by the current passcode (none: nothing after it), so that no
// passcode is on the command line. It runs its script, printing "begin N"
// before op N, "p DONE" every 10 items re-sealed, and "ack N" once op N
// returned nil, until it is killed or its stdin closes.
func helperPasscodeRotator(args []string) int {
	ctx := context.Background()
	dir := args[0]
	seed, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	in := helperStdin()
	first, ok := <-in
	state, found := strings.CutPrefix(first, "state")
	if !ok || !found {
		fmt.Fprintf(os.Stderr, "first line %q, want the state\n", first)
		return 2
	}
	s, err := pcrashOpen(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	script := newPcrashScript(seed, strings.TrimPrefix(state, " "))
	progress := func(done, total int) {
		if done%10 == 0 {
			fmt.Println("p", done)
		}
	}
	for i := 0; ; i++ {
		select {
		case _, ok := <-in:
			if !ok {
				s.Close()
				fmt.Println("done")
				return 0
			}
		default:
		}
		op := script.next()
		fmt.Println("begin", i)
		if err := s.SetPasscodeWithProgress(ctx, []byte(op.old), []byte(op.new), progress); err != nil {
			fmt.Fprintf(os.Stderr, "op %d (%v): %v\n", i, op, err)
			return 2
		}
		fmt.Println("ack", i)
	}
}

// pcrashStats counts how the kills landed.
type pcrashStats struct {
	betweenOps     int
	inflight       map[string]int // op kind → kills during it
	inflightOld    int            // of those, the store kept the old state
	inflightNew    int            // and the new
	progressAtKill int            // kills after at least one progress line
	killsInDerive  int            // kills right after "begin", no progress yet
	wpstdoResealed int            // rounds that rewrote WhenPasscodeSet items
}

// pcrashState finds which passcode state the store in dir holds: old or
// new (one of them may be "", no passcode). It returns the store, unlocked
// if a passcode is set, and the state it holds.
func pcrashState(t *testing.T, dir, old, new string) (*securestore.Store, string) {
	t.Helper()
	ctx := t.Context()
	s, err := pcrashOpen(ctx, dir)
	if err != nil {
		t.Fatalf("reopen after kill (old state %q, new %q): %v", old, new, err)
	}
	var unlocked []string
	for i, pc := range []string{old, new} {
		if pc == "" || i == 1 && pc == old {
			continue
		}
		err := s.Unlock(ctx, []byte(pc))
		switch {
		case err == nil:
			unlocked = append(unlocked, pc)
		case errors.Is(err, securestore.ErrWrongPasscode), errors.Is(err, securestore.ErrNoPasscode):
		default:
			t.Fatalf("unlock with %q after kill: %v", pc, err)
		}
	}
	noPasscode := !s.Locked() && len(unlocked) == 0
	if noPasscode {
		// A store without a passcode says so to any passcode.
		if err := s.Unlock(ctx, []byte("x")); !errors.Is(err, securestore.ErrNoPasscode) {
			t.Fatalf("store not locked and no passcode unlocked it, yet Unlock says %v", err)
		}
	}
	switch {
	case len(unlocked) == 1 && !noPasscode:
		return s, unlocked[0]
	case len(unlocked) == 0 && noPasscode && (old == "" || new == ""):
		return s, ""
	}
	t.Fatalf("after kill (old state %q, new %q): passcodes that unlock: %q, no passcode: %v; want exactly one state", old, new, unlocked, noPasscode)
	return nil, ""
}

// pcrashVerify checks that every item of pool holds its value under the
// state found (WhenPasscodeSetThisDeviceOnly items exist only with a
// passcode, and present says whether they were there before), and that
// Keys lists exactly those items.
func pcrashVerify(t *testing.T, s *securestore.Store, pool []pcrashItem, state string, wpstdoPresent bool) {
	t.Helper()
	ctx := t.Context()
	listed := map[string][]string{}
	for _, it := range pool {
		want := it.class != securestore.WhenPasscodeSetThisDeviceOnly || state != "" && wpstdoPresent
		got, err := s.GetItem(ctx, it.key, it.opts())
		switch {
		case want && (err != nil || got != it.value()):
			t.Fatalf("state %q: %s/%s (%v) = %.40q, %v; want its value", state, it.service, it.key, it.class, got, err)
		case !want && !errors.Is(err, securestore.ErrNotFound) && !errors.Is(err, securestore.ErrNoPasscode):
			t.Fatalf("state %q: %s/%s (%v) = %.40q, %v; want it gone", state, it.service, it.key, it.class, got, err)
		}
		if want {
			listed[it.service] = append(listed[it.service], it.key)
		}
	}
	for _, svc := range []string{"pcA", "pcB"} {
		keys, err := s.Keys(ctx, &securestore.Options{KeychainService: svc})
		if err != nil {
			t.Fatalf("Keys(%s): %v", svc, err)
		}
		slices.Sort(listed[svc])
		if !slices.Equal(keys, listed[svc]) {
			t.Fatalf("state %q: Keys(%s) = %d keys, want %d", state, svc, len(keys), len(listed[svc]))
		}
	}
}

// pcrashFill writes every item that the state allows and the store lacks:
// all of them at first, and the WhenPasscodeSetThisDeviceOnly items again
// once a passcode is set after a removal dropped them.
func pcrashFill(t *testing.T, s *securestore.Store, pool []pcrashItem, state string, classes func(securestore.Accessibility) bool) {
	t.Helper()
	for _, it := range pool {
		if !classes(it.class) || it.class == securestore.WhenPasscodeSetThisDeviceOnly && state == "" {
			continue
		}
		if err := s.SetItem(t.Context(), it.key, it.value(), it.opts()); err != nil {
			t.Fatalf("fill %s/%s: %v", it.service, it.key, err)
		}
	}
}

// TestCrashKillPasscodeRotation kills a process at random points while it
// sets, changes and removes the passcode of a store of 200 items in every
// class; after each kill the store holds the old or the new passcode
// state, whole. 30 kills; SECURESTORE_TEST_LONG=1 makes it 400.
func TestCrashKillPasscodeRotation(t *testing.T) {
	seed := helperSeed(t)
	rng := rand.New(rand.NewPCG(seed, 4))
	rounds := 30
	if os.Getenv(pcrashLongEnv) != "" {
		rounds = 400
	}
	dir := t.TempDir() + "/store"
	pool := pcrashPool()
	s, err := pcrashOpen(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	pcrashFill(t, s, pool, "", func(securestore.Accessibility) bool { return true })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	state := ""            // the passcode state the store holds
	wpstdoPresent := false // whether the WhenPasscodeSet items are there (with a passcode)
	stats := pcrashStats{inflight: map[string]int{}}
	for range rounds {
		wseed := rng.Uint64()
		w := &crashWriter{helperProc: helperStart(t, "passcode-rotator", dir, strconv.FormatUint(wseed, 10)), prefix: "rotator"}
		w.send(t, strings.TrimSpace("state "+state))
		w.expect(t, "ready")
		// Kill in op 0, 1 or 2: right after its "begin" (during the
		// attempt or the derivation), after some of its progress lines
		// (during the re-seal), or after a random delay from there (up to
		// its commit and beyond).
		target, progress := rng.IntN(3), rng.IntN(pcrashItems/10+3)
		if rng.IntN(3) == 0 {
			progress = pcrashItems/10 + 1 // every item re-sealed: near the commit
		}
		var delay time.Duration
		switch rng.IntN(3) {
		case 1:
			delay = time.Duration(rng.IntN(3000)) * time.Microsecond
		case 2:
			delay = time.Duration(rng.IntN(30000)) * time.Microsecond
		}
		begun, seen := -1, 0
		for begun < target || seen < progress {
			l := w.read(t)
			switch {
			case strings.HasPrefix(l, "begin "):
				begun, seen = begun+1, 0
			case strings.HasPrefix(l, "p ") && begun == target:
				seen++
			case strings.HasPrefix(l, "ack ") && begun == target:
				seen = progress // the op is done: kill during the next
			}
		}
		// Not synchronisation: a seeded random offset for the kill point.
		time.Sleep(delay)
		w.killNow(t)

		// Which ops were acknowledged, and which one was in flight.
		script := newPcrashScript(wseed, state)
		acked, inflight, sawProgress := 0, false, false
		for _, l := range w.lines {
			switch {
			case strings.HasPrefix(l, "begin "):
				inflight, sawProgress = true, false
			case strings.HasPrefix(l, "p "):
				sawProgress = true
			case strings.HasPrefix(l, "ack "):
				inflight = false
				acked++
			}
		}
		for range acked {
			op := script.next()
			if op.new == "" {
				wpstdoPresent = false
			}
		}
		old, new := script.state, script.state
		var op pcrashOp
		if inflight {
			op = script.next()
			new = op.new
			stats.inflight[op.String()]++
			if sawProgress {
				stats.progressAtKill++
			} else {
				stats.killsInDerive++
			}
		} else {
			stats.betweenOps++
		}

		s, got := pcrashState(t, dir, old, new)
		if inflight && old != new {
			if got == old {
				stats.inflightOld++
			} else {
				stats.inflightNew++
			}
		}
		if inflight && op.new == "" && got == "" {
			wpstdoPresent = false // the in-flight removal committed
		}
		pcrashVerify(t, s, pool, got, wpstdoPresent)
		if got != "" && !wpstdoPresent {
			pcrashFill(t, s, pool, got, func(c securestore.Accessibility) bool { return c == securestore.WhenPasscodeSetThisDeviceOnly })
			wpstdoPresent = true
			stats.wpstdoResealed++
			pcrashVerify(t, s, pool, got, wpstdoPresent)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		state = got
	}
	t.Logf("%d kills: %d between ops, in flight %v (old state kept %d, new state committed %d; %d during the attempt/derivation, %d during the re-seal or after); WhenPasscodeSet items re-added %d times",
		rounds, stats.betweenOps, stats.inflight, stats.inflightOld, stats.inflightNew, stats.killsInDerive, stats.progressAtKill, stats.wpstdoResealed)
	if stats.inflightOld == 0 || stats.inflightNew+stats.betweenOps == 0 {
		t.Errorf("kills did not land both before and after a rotation's commit (old kept %d, new %d, between ops %d): the test did not test what it should",
			stats.inflightOld, stats.inflightNew, stats.betweenOps)
	}
}
