package securestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/securestore-go/securestore"
)

func init() { helperModes["mp-writer"] = helperMPWriter }

const (
	mpProcs      = 4
	mpGoroutines = 4
	mpRounds     = 60 // per goroutine; each round is one to four ops
	mpGroup      = "mpgroup"
	mpShared     = "shared" // the key every goroutine writes
)

// mpOp is one write of a multi-process writer goroutine.
type mpOp struct {
	group, key string
	del        bool
	value      string
}

// mpOps is the script of goroutine g of process p. Odd goroutines write
// the access group's store, even ones the app's own. Each sets its own
// keys, overwrites some, deletes some, and sets the shared key.
func mpOps(p, g int) []mpOp {
	group := ""
	if g%2 == 1 {
		group = mpGroup
	}
	key := func(i int) string { return fmt.Sprintf("p%d-g%d-k%d", p, g, i) }
	var ops []mpOp
	for i := range mpRounds {
		ops = append(ops, mpOp{group: group, key: key(i), value: key(i) + "-v1"})
		if i%4 == 3 {
			ops = append(ops, mpOp{group: group, key: key(i - 1), value: key(i-1) + "-v2"})
		}
		if i%5 == 4 {
			ops = append(ops, mpOp{group: group, key: key(i), del: true})
		}
		if i%3 == 0 {
			ops = append(ops, mpOp{group: group, key: mpShared, value: fmt.Sprintf("p%d-g%d-s%d", p, g, i)})
		}
	}
	return ops
}

func mpOpen(ctx context.Context, dir string) (*securestore.Store, error) {
	return securestore.Open(ctx, securestore.Config{App: "mp", Dir: dir, Protector: "file", AccessGroups: []string{mpGroup}})
}

// helperMPWriter: args dir, process number. It opens the store, prints
// "ready", waits for a line on stdin, then runs mpOps in mpGoroutines
// goroutines, printing "ack G I" once op I of goroutine G returned nil.
func helperMPWriter(args []string) int {
	ctx := context.Background()
	dir := args[0]
	p, err := strconv.Atoi(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := mpOpen(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	<-helperStdin()
	var wg sync.WaitGroup
	errs := make([]error, mpGoroutines)
	for g := range mpGoroutines {
		wg.Go(func() {
			for i, op := range mpOps(p, g) {
				opts := &securestore.Options{AccessGroup: op.group}
				var err error
				if op.del {
					err = s.DeleteItem(ctx, op.key, opts)
				} else {
					err = s.SetItem(ctx, op.key, op.value, opts)
				}
				if err != nil {
					errs[g] = fmt.Errorf("goroutine %d op %d: %w", g, i, err)
					return
				}
				fmt.Println("ack", g, i)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, s.Close())...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// mpState is an item's state after an op: present with value, or absent.
type mpState struct {
	present bool
	value   string
}

// mpLater returns the states key can have once op i of ops has been
// acknowledged: its state after op i or after any later op (of the one
// goroutine that writes key).
func mpLater(ops []mpOp, i int) []mpState {
	key := ops[i].key
	var out []mpState
	for _, op := range ops[i:] {
		if op.key == key {
			out = append(out, mpState{!op.del, op.value})
		}
	}
	return out
}

// TestMultiProcessWriters has mpProcs processes, each with mpGoroutines
// goroutines, create one store at once (in a new directory, so that they
// also race to create the key file and both databases) and write it at
// once, to distinct keys and to one shared key, in the app's store and in
// an access group. While they run, this process reads each acknowledged
// write back; afterwards every acknowledged write and delete is there,
// Keys lists exactly the keys of all processes, and the shared key holds
// the last value one of the goroutines wrote.
func TestMultiProcessWriters(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir() + "/store"
	var procs []*helperProc
	for p := range mpProcs {
		procs = append(procs, helperStart(t, "mp-writer", dir, strconv.Itoa(p)))
	}
	for p, h := range procs {
		if line, ok := h.next(); line != "ready" {
			h.wait()
			t.Fatalf("writer %d printed %q, %v, not ready: %v\nstderr:\n%s", p, line, ok, h.wait(), h.stderr)
		}
	}
	s, err := mpOpen(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, h := range procs {
		h.stdin.Close() // go
	}

	// Read every writer's acks as they come; read back every acknowledged
	// own-key write at once, from this process.
	var wg sync.WaitGroup
	errs := make([]error, mpProcs)
	reads := make([]int, mpProcs)
	for p, h := range procs {
		wg.Go(func() {
			acked := make([]int, mpGoroutines)
			for line := range h.lines {
				var g, i int
				if _, err := fmt.Sscanf(line, "ack %d %d", &g, &i); err != nil || g < 0 || g >= mpGoroutines {
					errs[p] = fmt.Errorf("writer %d printed %q", p, line)
					return
				}
				ops := mpOps(p, g)
				if i != acked[g] {
					errs[p] = fmt.Errorf("writer %d goroutine %d acknowledged op %d after %d ops", p, g, i, acked[g])
					return
				}
				acked[g]++
				if ops[i].key == mpShared {
					continue
				}
				got, err := s.GetItem(ctx, ops[i].key, &securestore.Options{AccessGroup: ops[i].group})
				if err != nil && !errors.Is(err, securestore.ErrNotFound) {
					errs[p] = fmt.Errorf("read back %s: %w", ops[i].key, err)
					return
				}
				if st := (mpState{err == nil, got}); !slices.Contains(mpLater(ops, i), st) {
					errs[p] = fmt.Errorf("writer %d acknowledged op %d %+v, then %s read %+v", p, i, ops[i], ops[i].key, st)
					return
				}
				reads[p]++
			}
			for g, n := range acked {
				if n != len(mpOps(p, g)) {
					errs[p] = fmt.Errorf("writer %d goroutine %d acknowledged %d of %d ops", p, g, n, len(mpOps(p, g)))
				}
			}
		})
	}
	wg.Wait()
	for p, h := range procs {
		if err := h.wait(); err != nil {
			t.Errorf("writer %d: %v\nstderr:\n%s", p, err, h.stderr)
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("read back %v acknowledged writes while the writers ran", reads)

	// Every writer is done: the store holds exactly what they wrote.
	for _, group := range []string{"", mpGroup} {
		final := map[string]mpState{}
		var lastShared []string
		for p := range mpProcs {
			for g := range mpGoroutines {
				shared := ""
				for _, op := range mpOps(p, g) {
					switch {
					case op.group != group:
					case op.key == mpShared:
						shared = op.value
					default:
						final[op.key] = mpState{!op.del, op.value}
					}
				}
				if shared != "" {
					lastShared = append(lastShared, shared)
				}
			}
		}
		opts := &securestore.Options{AccessGroup: group}
		want := []string{mpShared}
		for key, st := range final {
			got, err := s.GetItem(ctx, key, opts)
			if err != nil && !errors.Is(err, securestore.ErrNotFound) {
				t.Fatalf("get %s: %v", key, err)
			}
			if (mpState{err == nil, got}) != st {
				t.Errorf("group %q: %s = %q (present %v), want %+v", group, key, got, err == nil, st)
			}
			if st.present {
				want = append(want, key)
			}
		}
		slices.Sort(want)
		keys, err := s.Keys(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(keys, want) {
			t.Errorf("group %q: Keys lists %d keys, want %d: %s", group, len(keys), len(want), mpDiff(keys, want))
		}
		got, err := s.GetItem(ctx, mpShared, opts)
		if err != nil || !slices.Contains(lastShared, got) {
			t.Errorf("group %q: shared key = %q, %v; want the last value of one goroutine: %v", group, got, err, lastShared)
		}
	}
}

// mpDiff describes how two sorted key lists differ.
func mpDiff(got, want []string) string {
	var extra, missing []string
	for _, k := range got {
		if _, ok := slices.BinarySearch(want, k); !ok {
			extra = append(extra, k)
		}
	}
	for _, k := range want {
		if _, ok := slices.BinarySearch(got, k); !ok {
			missing = append(missing, k)
		}
	}
	return fmt.Sprintf("extra %s; missing %s", strings.Join(extra, " "), strings.Join(missing, " "))
}
