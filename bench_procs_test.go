package securestore_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
)

// Writers in several processes. Within one process the writer goroutine
// batches every queued write into one commit; across processes the
// commits serialize on SQLite's write lock, and each process's writer
// takes it in turn (storage's beginImmediate). BenchmarkSetItemProcesses
// measures that case: P processes of G writer goroutines each overwrite
// random items of one 10,000-item store, against one process with one
// writer, alternating.

func init() { helperModes["bench-writer"] = helperBenchWriter }

// helperBenchWriter opens the store in args[0], prints "ready", waits for a
// line on stdin, then has args[1] goroutines overwrite random items for
// args[2] and prints "ops N cpu-µs C": the writes acknowledged and the
// process's CPU time while it wrote.
func helperBenchWriter(args []string) int {
	goroutines, _ := strconv.Atoi(args[1])
	d, err := time.ParseDuration(args[2])
	if err != nil {
		fmt.Println(err)
		return 2
	}
	s, err := securestore.Open(ctx, config(args[0]))
	if err != nil {
		fmt.Println("open:", err)
		return 1
	}
	defer s.Close()
	in := helperStdin()
	fmt.Println("ready")
	<-in
	value := benchValue(-1)
	var ops atomic.Int64
	var failed atomic.Value
	cpu := processCPU()
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(g)))
			for time.Now().Before(deadline) {
				if err := setRandom(s, r, smallN, value); err != nil {
					failed.Store(err)
					return
				}
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		fmt.Println("set:", err)
		return 1
	}
	fmt.Printf("ops %d cpu-µs %d\n", ops.Load(), (processCPU() - cpu).Microseconds())
	return 0
}

// processWrites runs procs helper processes of goroutines writers each on
// the store in dir, for d, started together; it returns the writes they
// acknowledged and the CPU time they used.
func processWrites(b *testing.B, dir string, procs, goroutines int, d time.Duration) (ops int64, cpu time.Duration, elapsed time.Duration) {
	b.Helper()
	ps := make([]*helperProc, procs)
	for i := range ps {
		ps[i] = helperStart(b, "bench-writer", dir, strconv.Itoa(goroutines), d.String())
		if line, ok := ps[i].next(); line != "ready" {
			b.Fatalf("helper %d: %q %v %s", i, line, ok, ps[i].stderr)
		}
	}
	start := time.Now()
	for _, p := range ps {
		fmt.Fprintln(p.stdin, "go")
	}
	for i, p := range ps {
		line, _ := p.next()
		var n, us int64
		if _, err := fmt.Sscanf(line, "ops %d cpu-µs %d", &n, &us); err != nil {
			b.Fatalf("helper %d: %q %s", i, line, p.stderr)
		}
		ops += n
		cpu += time.Duration(us) * time.Microsecond
	}
	elapsed = time.Since(start) // before the helpers close the store
	for i, p := range ps {
		p.stdin.Close()
		if err := p.wait(); err != nil {
			b.Fatalf("helper %d: %v %s", i, err, strings.TrimSpace(p.stderr.String()))
		}
	}
	return ops, cpu, elapsed
}

// BenchmarkSetItemProcesses reports ops/s of P processes × G writers on
// one 10,000-item store (wal=warm), the single-writer baseline measured in
// turn with it (single-ops/s, one process, one writer), their ratio
// (x-single), and the CPU time per acknowledged write of each side. Each
// call runs rounds of 3 s per side, whatever b.N.
func BenchmarkSetItemProcesses(b *testing.B) {
	const rounds, chunk = 3, 3 * time.Second
	for _, c := range []struct{ procs, goroutines int }{{8, 1}, {8, 8}} {
		b.Run(fmt.Sprintf("procs=%d/writers=%d", c.procs, c.goroutines), func(b *testing.B) {
			ws := newWriteStore(b, "warm")
			dir := ws.dir
			if err := ws.s.Close(); err != nil {
				b.Fatal(err)
			}
			var ops, singleOps int64
			var el, singleEl, cpu, singleCPU time.Duration
			for range b.N {
				for r := range rounds {
					for side := range 2 {
						if (side+r)%2 == 0 {
							n, c2, e := processWrites(b, dir, c.procs, c.goroutines, chunk)
							ops, cpu, el = ops+n, cpu+c2, el+e
						} else {
							n, c2, e := processWrites(b, dir, 1, 1, chunk)
							singleOps, singleCPU, singleEl = singleOps+n, singleCPU+c2, singleEl+e
						}
					}
				}
			}
			tput := float64(ops) / el.Seconds()
			base := float64(singleOps) / singleEl.Seconds()
			b.ReportMetric(tput, "ops/s")
			b.ReportMetric(base, "single-ops/s")
			b.ReportMetric(tput/base, "x-single")
			b.ReportMetric(float64(cpu.Microseconds())/float64(ops), "cpu-µs/op")
			b.ReportMetric(float64(singleCPU.Microseconds())/float64(singleOps), "single-cpu-µs/op")
		})
	}
}
