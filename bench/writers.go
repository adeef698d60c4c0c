package bench

import (
	"context"
	"sync"
	"time"
)

// writerKeys are the pre-filled items writer i of w overwrites: every
// w-th one, so no two writers touch the same item (pass and secret-tool
// would race on one file or item; securestore would not, but the
// comparison should be like for like).
func writerKeys(i, w, items int) []string {
	var keys []string
	for k := i; k < items; k += w {
		keys = append(keys, FillKey(k))
	}
	if len(keys) == 0 { // more writers than items: some share one
		keys = append(keys, FillKey(i%items))
	}
	return keys
}

// writersFor runs w goroutines that overwrite their own items back to
// back until d has passed, and returns the operations completed, the
// time until the last one finished (so an operation started just before
// the deadline counts in full) and every operation's latency.
func writersFor(ctx context.Context, st Store, w, items int, d time.Duration) (ops int, elapsed time.Duration, lat Latencies, err error) {
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range w {
		keys := writerKeys(i, w, items)
		wg.Go(func() {
			var mine Latencies
			for j := 0; time.Now().Before(deadline); j++ {
				k := keys[j%len(keys)]
				v := Value(k)
				t := time.Now()
				e := st.Set(ctx, k, v)
				mine = append(mine, time.Since(t))
				if e != nil {
					mu.Lock()
					if first == nil {
						first = e
					}
					mu.Unlock()
					break
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			ops += len(mine)
			mu.Unlock()
		})
	}
	wg.Wait()
	return ops, time.Since(start), lat, first
}

// compareWriters measures w concurrent writers on each store in turn,
// rounds times, alternating which store goes first, and returns one
// writers Cell.
func compareWriters(ctx context.Context, stores []Store, w, items int, chunk time.Duration, rounds int) (Cell, error) {
	type acc struct {
		ops     int
		elapsed time.Duration
		lat     Latencies
	}
	accs := make([]acc, len(stores))
	for r := range rounds {
		for k := range stores {
			s := (r + k) % len(stores)
			ops, el, lat, err := writersFor(ctx, stores[s], w, items, chunk)
			if err != nil {
				return Cell{}, &sideError{side: s, err: err}
			}
			accs[s].ops += ops
			accs[s].elapsed += el
			accs[s].lat = append(accs[s].lat, lat...)
		}
	}
	c := Cell{Op: OpWriters, Items: items, Writers: w}
	for s, st := range stores {
		a := accs[s]
		c.Sides = append(c.Sides, Side{
			Store:     st.Name(),
			Latency:   a.lat.Summary(),
			Ops:       a.ops,
			Seconds:   a.elapsed.Seconds(),
			PerSecond: float64(a.ops) / a.elapsed.Seconds(),
		})
	}
	return c, nil
}
