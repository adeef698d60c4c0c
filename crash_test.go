//go:build unix

// SIGKILL, and the kernel keeping a dead process's pipe output, are what
// these tests rely on; TerminateProcess on Windows is not the same test.

package securestore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/securestore-go/securestore"
)

func init() { helperModes["crash-writer"] = helperCrashWriter }

// A crash writer runs a script of SetItem and DeleteItem calls on the
// store "crash" in a directory. It prints "begin N" before op N and "ack N"
// after the op returned nil, so that the test knows which ops were
// acknowledged and which one, at most, was in flight when it was killed.
// The test regenerates the same script from the same prefix and seed.

// crashServices × crashKeys is each writer's pool of items: the same key
// names under two services, so that a crash also tests their separation.
var crashServices = []string{"crashA", "crashB"}

const crashKeys = 6

type crashItem struct{ service, key string }

// crashOp is one step of a script: a set of value, or a delete.
type crashOp struct {
	crashItem
	del   bool
	value string
	class securestore.Accessibility
}

func (op crashOp) String() string {
	if op.del {
		return fmt.Sprintf("delete %s/%s", op.service, op.key)
	}
	return fmt.Sprintf("set %s/%s (%v) to %.40q", op.service, op.key, op.class, op.value)
}

func crashPool(prefix string) []crashItem {
	var pool []crashItem
	for _, svc := range crashServices {
		for i := range crashKeys {
			pool = append(pool, crashItem{svc, fmt.Sprintf("%sk%d", prefix, i)})
		}
	}
	return pool
}

// crashScript generates a writer's ops from its prefix and seed. Values are
// unique (they name the seed and the op) and 40..2048 bytes long.
type crashScript struct {
	rng    *rand.Rand
	prefix string
	seed   uint64
	pool   []crashItem
	n      int
}

func newCrashScript(prefix string, seed uint64) *crashScript {
	return &crashScript{rng: rand.New(rand.NewPCG(seed, 0x5eed)), prefix: prefix, seed: seed, pool: crashPool(prefix)}
}

func (s *crashScript) next() crashOp {
	op := crashOp{crashItem: s.pool[s.rng.IntN(len(s.pool))]}
	if s.rng.IntN(4) == 0 {
		op.del = true
	} else {
		op.class = writableClasses[s.rng.IntN(len(writableClasses))]
		v := fmt.Sprintf("%s|%x|op%d|", s.prefix, s.seed, s.n)
		op.value = v + strings.Repeat(string(rune('a'+s.n%26)), s.rng.IntN(securestore.DefaultMaxValueBytes-len(v)+1))
	}
	s.n++
	return op
}

func (s *crashScript) ops(n int) []crashOp {
	out := make([]crashOp, n)
	for i := range out {
		out[i] = s.next()
	}
	return out
}

func crashOpen(ctx context.Context, dir string) (*securestore.Store, error) {
	return securestore.Open(ctx, securestore.Config{App: "crash", Dir: dir, Protector: "file"})
}

func crashApply(ctx context.Context, s *securestore.Store, op crashOp) error {
	opts := &securestore.Options{KeychainService: op.service, KeychainAccessible: op.class}
	if op.del {
		return s.DeleteItem(ctx, op.key, opts)
	}
	return s.SetItem(ctx, op.key, op.value, opts)
}

// helperCrashWriter: args dir, prefix, seed. It runs its script until it
// is killed or its stdin closes, and echoes each stdin line as "got LINE"
// between two ops.
func helperCrashWriter(args []string) int {
	ctx := context.Background()
	dir, prefix := args[0], args[1]
	seed, err := strconv.ParseUint(args[2], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	in := helperStdin()
	fmt.Println("opening")
	s, err := crashOpen(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	script := newCrashScript(prefix, seed)
	for i := 0; ; i++ {
		select {
		case line, ok := <-in:
			if !ok {
				if err := s.Close(); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 2
				}
				fmt.Println("done")
				return 0
			}
			fmt.Println("got", line)
		default:
		}
		op := script.next()
		fmt.Println("begin", i)
		if err := crashApply(ctx, s, op); err != nil {
			fmt.Fprintf(os.Stderr, "op %d: %v\n", i, err)
			return 2
		}
		fmt.Println("ack", i)
	}
}

// crashWriter is the test's side of one crash writer run.
type crashWriter struct {
	*helperProc
	prefix string
	seed   uint64
	lines  []string // every line read so far
}

func crashStart(t *testing.T, dir, prefix string, seed uint64) *crashWriter {
	t.Helper()
	w := &crashWriter{helperProc: helperStart(t, "crash-writer", dir, prefix, strconv.FormatUint(seed, 10)), prefix: prefix, seed: seed}
	w.expect(t, "opening")
	w.expect(t, "ready")
	return w
}

// read returns the next line, failing the test if the writer died.
func (w *crashWriter) read(t *testing.T) string {
	t.Helper()
	line, ok := w.next()
	if !ok {
		t.Fatalf("crash writer %s stopped early: %v\nstderr:\n%s", w.prefix, w.wait(), w.stderr)
	}
	w.lines = append(w.lines, line)
	return line
}

func (w *crashWriter) expect(t *testing.T, want string) {
	t.Helper()
	if got := w.read(t); got != want {
		t.Fatalf("crash writer %s printed %q, want %q", w.prefix, got, want)
	}
}

// killNow sends SIGKILL and checks that it was the kill that ended the
// writer, not an error of its own.
func (w *crashWriter) killNow(t *testing.T) {
	t.Helper()
	w.lines = append(w.lines, w.kill(t)...)
	err := w.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("crash writer %s ended with %v, not by SIGKILL\nstderr:\n%s", w.prefix, err, w.stderr)
	}
}

// outcome parses the writer's output: the ops it acknowledged, in order,
// and the one it had begun without acknowledging, if any.
func (w *crashWriter) outcome(t *testing.T) (acked []crashOp, inflight *crashOp) {
	t.Helper()
	begun, ack := 0, 0
	for _, l := range w.lines {
		switch {
		case strings.HasPrefix(l, "begin "):
			if n, err := strconv.Atoi(l[len("begin "):]); err != nil || n != begun || begun != ack {
				t.Fatalf("crash writer %s: %q out of order (begun %d, acked %d)", w.prefix, l, begun, ack)
			}
			begun++
		case strings.HasPrefix(l, "ack "):
			if n, err := strconv.Atoi(l[len("ack "):]); err != nil || n != ack || begun != ack+1 {
				t.Fatalf("crash writer %s: %q out of order (begun %d, acked %d)", w.prefix, l, begun, ack)
			}
			ack++
		}
	}
	ops := newCrashScript(w.prefix, w.seed).ops(begun)
	if begun > ack {
		inflight = &ops[ack]
	}
	return ops[:ack], inflight
}

// crashModel is what the store must hold: the value of every present item.
type crashModel map[crashItem]string

func (m crashModel) apply(op crashOp) {
	if op.del {
		delete(m, op.crashItem)
	} else {
		m[op.crashItem] = op.value
	}
}

// crashStats counts how in-flight ops turned out, to show that the kills
// landed both before and after commits.
type crashStats struct{ inflight, committed int }

// crashVerify reopens the store in dir and checks every item of pool: each
// holds its value in m, except an item that an in-flight op touched, which
// may also hold the op's outcome. m is updated to what the store holds.
// Keys of each service must list exactly the items found.
func crashVerify(t *testing.T, dir string, m crashModel, pool []crashItem, inflight []*crashOp, stats *crashStats) {
	t.Helper()
	ctx := t.Context()
	s, err := crashOpen(ctx, dir)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	alt := map[crashItem]crashOp{}
	for _, op := range inflight {
		if op != nil {
			alt[op.crashItem] = *op
			stats.inflight++
		}
	}
	present := map[string][]string{}
	for _, it := range pool {
		got, err := s.GetItem(ctx, it.key, &securestore.Options{KeychainService: it.service})
		if err != nil && !errors.Is(err, securestore.ErrNotFound) {
			t.Fatalf("get %v after kill: %v", it, err)
		}
		found := err == nil
		want, wantOK := m[it]
		acked := found == wantOK && got == want
		op, ok := alt[it]
		done := ok && op.del == !found && (op.del || op.value == got)
		switch {
		case done && !acked:
			stats.committed++
			m.apply(op)
		case !acked && !done:
			inflight := "none"
			if ok {
				inflight = op.String()
			}
			t.Fatalf("after kill, %s/%s holds %.40q (present %v); acknowledged: %.40q (present %v); op in flight: %s",
				it.service, it.key, got, found, want, wantOK, inflight)
		}
		if has, err := s.HasItem(ctx, it.key, &securestore.Options{KeychainService: it.service}); err != nil || has != found {
			t.Fatalf("HasItem(%v) = %v, %v; GetItem found it: %v", it, has, err, found)
		}
		if found {
			present[it.service] = append(present[it.service], it.key)
		}
	}
	for _, svc := range crashServices {
		keys, err := s.Keys(ctx, &securestore.Options{KeychainService: svc})
		if err != nil {
			t.Fatalf("Keys(%s) after kill: %v", svc, err)
		}
		slices.Sort(present[svc])
		if !slices.Equal(keys, present[svc]) {
			t.Fatalf("Keys(%s) = %v, want the items found: %v", svc, keys, present[svc])
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCrashKillWriter kills a writer with SIGKILL at random moments, 40
// times over one store: after every kill the store opens, every
// acknowledged write and delete is there, and the op that was in flight is
// either done or not done.
func TestCrashKillWriter(t *testing.T) {
	seed := helperSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir() + "/store"
	m := crashModel{}
	pool := crashPool("")
	var stats crashStats
	const rounds = 40
	for round := range rounds {
		w := crashStart(t, dir, "", rng.Uint64())
		// Kill after a random number of lines; half of the time right after
		// a "begin", while the op is most likely in its commit.
		n := 1 + rng.IntN(80)
		for i := 0; i < n || (round%2 == 0 && !strings.HasPrefix(w.lines[len(w.lines)-1], "begin")); i++ {
			w.read(t)
		}
		w.killNow(t)
		acked, inflight := w.outcome(t)
		for _, op := range acked {
			m.apply(op)
		}
		crashVerify(t, dir, m, pool, []*crashOp{inflight}, &stats)
	}
	t.Logf("%d rounds; %d kills with an op in flight, %d of those ops committed", rounds, stats.inflight, stats.committed)
	if stats.inflight == 0 {
		t.Errorf("no kill landed during an op: the test did not test what it should")
	}
}

// TestCrashKillOtherWriter runs two writers on one store and kills one of
// them; the survivor keeps writing without an error, and the
// acknowledged writes of both are there afterwards.
func TestCrashKillOtherWriter(t *testing.T) {
	seed := helperSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	dir := t.TempDir() + "/store"
	m := crashModel{}
	pool := append(crashPool("a-"), crashPool("b-")...)
	var stats crashStats
	const rounds = 16
	for range rounds {
		a := crashStart(t, dir, "a-", rng.Uint64())
		b := crashStart(t, dir, "b-", rng.Uint64())
		for range 1 + rng.IntN(60) {
			b.read(t)
		}
		b.killNow(t)
		// The survivor echoes "got mark" once it has read the mark, sent
		// after the kill: acks after that were written after b died.
		a.send(t, "mark")
		for a.read(t) != "got mark" {
		}
		for acks := 0; acks < 20; {
			if strings.HasPrefix(a.read(t), "ack ") {
				acks++
			}
		}
		a.lines = append(a.lines, a.finish(t)...)
		if last := a.lines[len(a.lines)-1]; last != "done" {
			t.Fatalf("surviving writer ended with %q, not done", last)
		}
		ackedA, inflightA := a.outcome(t)
		if inflightA != nil {
			t.Fatalf("surviving writer exited with an op unacknowledged")
		}
		ackedB, inflightB := b.outcome(t)
		for _, op := range append(ackedA, ackedB...) {
			m.apply(op)
		}
		crashVerify(t, dir, m, pool, []*crashOp{inflightB}, &stats)
	}
	t.Logf("%d rounds; %d kills with an op in flight, %d of those ops committed", rounds, stats.inflight, stats.committed)
}

// crashStages are the files a new store gains, in order, while Open
// creates it: the directory, the empty database, its WAL (the schema), and
// the key file (wrapping the new device key, inside the transaction that
// then records it).
var crashStages = []string{"", "/app.crash.db", "/app.crash.db-wal", "/file-protector.key"}

// TestCrashKillDuringCreate kills a writer while it creates a new store,
// in a new directory each time, right after a chosen stage of the creation
// is seen on disk: the store must then open and work, whatever the kill
// left behind.
func TestCrashKillDuringCreate(t *testing.T) {
	seed := helperSeed(t)
	rng := rand.New(rand.NewPCG(seed, 3))
	killedAt := map[string]int{}
	for round := range 3 * len(crashStages) {
		dir := t.TempDir() + "/store"
		stage := crashStages[round%len(crashStages)]
		w := &crashWriter{helperProc: helperStart(t, "crash-writer", dir, "", strconv.FormatUint(rng.Uint64(), 10))}
		w.expect(t, "opening")
		// Spin on the file system, not on time: the kill follows the
		// stage as closely as it can, or comes once Open is done.
		ready := false
		for !ready && !crashExists(dir+stage) {
			select {
			case line, ok := <-w.helperProc.lines:
				if !ok {
					t.Fatalf("crash writer stopped: %v\nstderr:\n%s", w.wait(), w.stderr)
				}
				ready = line == "ready"
			default:
			}
		}
		w.killNow(t)
		if ready {
			killedAt["after Open returned"]++
		} else {
			killedAt["store"+stage]++
		}
		ctx := t.Context()
		s, err := crashOpen(ctx, dir)
		if err != nil {
			t.Fatalf("open after a kill once store%s existed: %v", stage, err)
		}
		if keys, err := s.Keys(ctx, nil); err != nil || len(keys) != 0 {
			t.Fatalf("Keys of a store killed during create = %v, %v; want none", keys, err)
		}
		if err := s.SetItem(ctx, "k", "v", nil); err != nil {
			t.Fatalf("set in a store killed during create: %v", err)
		}
		if got, err := s.GetItem(ctx, "k", nil); err != nil || got != "v" {
			t.Fatalf("get = %q, %v", got, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("kills right after: %v", killedAt)
}

func crashExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
