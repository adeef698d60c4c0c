//go:build linux

// strace, which records the workload's file-system calls, is a Linux tool.

package securestore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/crashstate"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/internal/testdir"
)

// The power-loss test runs a workload under strace, builds every state a
// power cut during it could have left on disk (internal/crashstate), opens
// each with the real store and checks that nothing acknowledged is lost.
// Unlike the kill tests (crash_test.go), it sees a missing fsync: SIGKILL
// keeps the page cache, a power cut does not.

func init() { helperModes["powerloss-workload"] = helperPowerLossWorkload }

// EnvCrashStates = "long" runs a larger workload and many more states.
const envCrashStates = "SECURESTORE_CRASHSTATES"

// powerLossSize is one run's size: ops in the workload, a Close and Open
// after every reopen of them (each Close checkpoints the WAL into the
// database and removes it), and random subsets per crash point.
type powerLossSize struct{ ops, reopen, random int }

var (
	powerLossShort = powerLossSize{ops: 24, reopen: 10, random: 2}
	powerLossLong  = powerLossSize{ops: 300, reopen: 60, random: 12}
)

const powerLossSeed = 0x50_7e_12 // fixed: a failure replays exactly

func powerLossConfig(dir string) securestore.Config {
	return securestore.Config{App: "powerloss", Dir: dir, Protector: "file"}
}

// powerLossItem is one item the workload touches.
type powerLossItem struct{ service, key string }

var powerLossItems = func() []powerLossItem {
	var items []powerLossItem
	for _, svc := range []string{"app", "other"} {
		for i := range 3 {
			items = append(items, powerLossItem{svc, fmt.Sprintf("k%d", i)})
		}
	}
	return items
}()

// powerLossOp sets an item to value, or deletes it.
type powerLossOp struct {
	powerLossItem
	del   bool
	value string
	class securestore.Accessibility
}

// powerLossScript is the workload's ops, the same in the helper and the
// test. Values are unique, so a value read back names the op that wrote
// it; their sizes span a WAL page (4 KiB) now and then.
func powerLossScript(n int) []powerLossOp {
	rng := rand.New(rand.NewPCG(powerLossSeed, 1))
	ops := make([]powerLossOp, n)
	for i := range ops {
		op := powerLossOp{powerLossItem: powerLossItems[rng.IntN(len(powerLossItems))]}
		if rng.IntN(5) == 0 {
			op.del = true
		} else {
			op.class = writableClasses[rng.IntN(len(writableClasses))]
			v := fmt.Sprintf("op%d|", i)
			size := rng.IntN(200)
			if rng.IntN(4) == 0 {
				size = rng.IntN(securestore.DefaultMaxValueBytes - len(v) + 1)
			}
			op.value = v + strings.Repeat(string(rune('a'+i%26)), size)
		}
		ops[i] = op
	}
	return ops
}

func (op powerLossOp) apply(ctx context.Context, s *securestore.Store) error {
	opts := &securestore.Options{KeychainService: op.service, KeychainAccessible: op.class}
	if op.del {
		return s.DeleteItem(ctx, op.key, opts)
	}
	return s.SetItem(ctx, op.key, op.value, opts)
}

// helperPowerLossWorkload: args dir, ops, reopen. It prints "begin N"
// before op N and "ack N" once it returned nil: those writes to stdout are
// in the trace, in order with the store's own calls.
func helperPowerLossWorkload(args []string) int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 2 }
	n, err1 := strconv.Atoi(args[1])
	reopen, err2 := strconv.Atoi(args[2])
	if err := errors.Join(err1, err2); err != nil {
		return fail(err)
	}
	s, err := securestore.Open(ctx, powerLossConfig(args[0]))
	if err != nil {
		return fail(err)
	}
	for i, op := range powerLossScript(n) {
		if i > 0 && i%reopen == 0 {
			if err := s.Close(); err != nil {
				return fail(err)
			}
			if s, err = securestore.Open(ctx, powerLossConfig(args[0])); err != nil {
				return fail(err)
			}
		}
		fmt.Println("begin", i)
		if err := op.apply(ctx, s); err != nil {
			return fail(fmt.Errorf("op %d: %w", i, err))
		}
		fmt.Println("ack", i)
	}
	if err := s.Close(); err != nil {
		return fail(err)
	}
	fmt.Println("done")
	return 0
}

// powerLossModel is what a power cut may do: any subset of the unsynced
// writes, torn at 4 KiB, directory changes durable only once the
// directory is synced (stricter than ext4, whose fsync of any file
// commits them). SQLite's -shm file is shared memory, not durable state.
func powerLossModel(random int) crashstate.Model {
	return crashstate.Model{
		Random:   random,
		Seed:     powerLossSeed,
		Volatile: func(p string) bool { return strings.HasSuffix(p, "-shm") },
	}
}

func TestPowerLoss(t *testing.T) {
	size, mode := powerLossShort, "short"
	if os.Getenv(envCrashStates) == "long" {
		size, mode = powerLossLong, "long"
	}
	rec := recordPowerLoss(t, size)
	model := powerLossModel(size.random)
	script := powerLossScript(size.ops)

	base := filepath.Join(rec.Root, "..", "states")
	start := time.Now()
	var states, violations, verified int
	for st := range rec.States(model) {
		states++
		problems, n := checkPowerLossState(t, filepath.Join(base, strconv.Itoa(states)), st, script)
		verified += n
		if len(problems) > 0 {
			violations++
			if violations <= 5 {
				t.Errorf("%s:\n\t%s", st.Desc, strings.Join(problems, "\n\t"))
			}
		}
	}
	t.Logf("power loss (%s): %d ops traced (%d calls on store files ignored), %d crash points, %d distinct crash states opened and checked, %d item reads verified, %d states with violations, in %v",
		mode, len(rec.Ops), rec.Ignored, len(rec.CrashPoints()), states, verified, violations, time.Since(start).Round(time.Millisecond))
	if states < 100 {
		t.Errorf("only %d crash states: the trace or the enumeration lost something", states)
	}
}

// TestPowerLossCatchesAMissingFsync checks the checker: the same trace with
// every fsync taken out (a store that never syncs) must lose acknowledged
// writes in some crash state. Were it not so, TestPowerLoss could not fail.
func TestPowerLossCatchesAMissingFsync(t *testing.T) {
	rec := recordPowerLoss(t, powerLossShort).WithoutSyncs()
	script := powerLossScript(powerLossShort.ops)
	base := filepath.Join(rec.Root, "..", "states")
	states := 0
	for st := range rec.States(powerLossModel(0)) {
		states++
		if problems, _ := checkPowerLossState(t, filepath.Join(base, strconv.Itoa(states)), st, script); len(problems) > 0 {
			t.Logf("caught after %d states: %s: %s", states, st.Desc, problems[0])
			return
		}
	}
	t.Fatalf("none of %d crash states of a store without fsync lost an acknowledged write", states)
}

// recordPowerLoss creates a store, keeps a copy of its files, and runs the
// workload on it under strace. It checks that replaying the trace onto the
// copy gives the files the workload left, so that the parser and the
// replay are tested on every run.
func recordPowerLoss(t *testing.T, size powerLossSize) *crashstate.Recording {
	t.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		servicetest.Missing(t, "strace", "not on $PATH; it records the workload's file-system calls", "apt-get install strace")
	}
	ctx := t.Context()
	base, err := filepath.EvalSymlinks(testdir.New(t)) // strace prints resolved paths
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "store")
	s, err := securestore.Open(ctx, powerLossConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	initial := readFiles(t, dir)

	trace := filepath.Join(base, "trace")
	cmd := crashstate.Command(ctx, trace, os.Args[0], "-test.run=^$", "--",
		dir, strconv.Itoa(size.ops), strconv.Itoa(size.reopen))
	cmd.Env = append(os.Environ(), helperEnv+"=powerloss-workload")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.HasSuffix(string(out), "done\n") {
		t.Fatalf("workload under strace: %v\nstdout tail: %.200q\nstderr:\n%s", err, tail(string(out), 200), stderr.String())
	}
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	calls, err := crashstate.ParseStrace(f)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := crashstate.Interpret(calls, dir, initial)
	if err != nil {
		t.Fatal(err)
	}
	model := powerLossModel(0)
	written, onDisk := rec.Written(model).Files, readFiles(t, dir)
	for p := range onDisk {
		if model.Volatile(p) {
			delete(onDisk, p)
		}
	}
	if len(written) != len(onDisk) {
		t.Fatalf("the replay ends with files %v, the workload left %v", keysOf(written), keysOf(onDisk))
	}
	for p, data := range onDisk {
		if string(written[p]) != string(data) {
			t.Fatalf("the replay of the trace ends with %s different from the workload's (%d bytes, want %d)", p, len(written[p]), len(data))
		}
	}
	if err := os.Remove(trace); err != nil {
		t.Fatal(err)
	}
	return rec
}

// checkPowerLossState writes st into dir, opens it as a store, and
// returns what is wrong: an acknowledged write (or delete) missing, a
// value that no op wrote, an open or a read that fails. An op that began
// but was not acknowledged may or may not have landed. verified counts the
// items read.
func checkPowerLossState(t *testing.T, dir string, st *crashstate.State, script []powerLossOp) (problems []string, verified int) {
	t.Helper()
	ctx := t.Context()
	if err := st.WriteTo(dir); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}()
	acked, begun := -1, -1
	for _, line := range strings.Split(string(st.Markers), "\n") {
		if n, ok := strings.CutPrefix(line, "ack "); ok {
			acked, _ = strconv.Atoi(n)
		} else if n, ok := strings.CutPrefix(line, "begin "); ok {
			begun, _ = strconv.Atoi(n)
		}
	}
	// want[item]: the values allowed ("" with deleted = absent).
	type outcome struct {
		value   string
		present bool
	}
	show := func(o outcome) string {
		if !o.present {
			return "absent"
		}
		name, _, _ := strings.Cut(o.value, "|")
		return "the value of " + name
	}
	want := map[powerLossItem][]outcome{}
	for _, it := range powerLossItems {
		want[it] = []outcome{{}}
	}
	for i := 0; i <= acked; i++ {
		op := script[i]
		want[op.powerLossItem] = []outcome{{op.value, !op.del}}
	}
	if begun > acked {
		op := script[begun]
		want[op.powerLossItem] = append(want[op.powerLossItem], outcome{op.value, !op.del})
	}

	s, err := securestore.Open(ctx, powerLossConfig(dir))
	if err != nil {
		return []string{fmt.Sprintf("open: %v", err)}, 0
	}
	defer s.Close()
	for _, it := range powerLossItems {
		v, err := s.GetItem(ctx, it.key, &securestore.Options{KeychainService: it.service})
		got := outcome{v, err == nil}
		if err != nil && !errors.Is(err, securestore.ErrNotFound) {
			problems = append(problems, fmt.Sprintf("%s/%s: %v", it.service, it.key, err))
			continue
		}
		verified++
		ok := false
		for _, w := range want[it] {
			ok = ok || w == got
		}
		if !ok {
			var allowed []string
			for _, w := range want[it] {
				allowed = append(allowed, show(w))
			}
			problems = append(problems, fmt.Sprintf("%s/%s (ops acknowledged up to %d, op %d begun) is %s, want %s",
				it.service, it.key, acked, begun, show(got), strings.Join(allowed, " or ")))
		}
	}
	if err := s.Close(); err != nil {
		problems = append(problems, fmt.Sprintf("close: %v", err))
	}
	return problems, verified
}

func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			t.Fatalf("%s in the store directory is not a regular file", e.Name())
		}
		if files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func keysOf(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }
