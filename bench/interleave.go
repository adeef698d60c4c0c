package bench

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Budget bounds one comparison: it runs until Time has passed and every
// side has done its unit of work at least MinUnits times. Block is how
// long one side works before the next side takes over (0: one unit).
type Budget struct {
	Time     time.Duration `json:"time_ns"`
	MinUnits int           `json:"min_units"`
	Block    time.Duration `json:"block_ns"`
}

// sideOp is one operation of a side, done for the i-th time. It times
// only the store's call and returns that time: preparing its arguments and
// checking its result (regenerating a 2 KB value costs microseconds) stay
// outside the measurement.
type sideOp func(ctx context.Context, i int) (time.Duration, error)

// timed makes a sideOp of an operation with nothing to prepare or check.
func timed(op func() error) sideOp {
	return func(context.Context, int) (time.Duration, error) {
		t := time.Now()
		err := op()
		return time.Since(t), err
	}
}

// interleave compares sides, each of which repeats its unit: a list of
// timed operations (securestore's Set then Delete; one fsync). The sides
// take turns in blocks of b.Block, and which goes first rotates from
// round to round, so every side works under the same machine state —
// background load, page cache, disk queue — within a fraction of a
// second of the others. Blocks rather than single operations keep one
// side's work (another process's start-up, a D-Bus round trip) from
// evicting the CPU caches of a microsecond operation on the other, which
// would measure the neighbour rather than the store. The result is
// lat[side][op].
func interleave(ctx context.Context, b Budget, sides [][]sideOp) ([][]Latencies, error) {
	lat := make([][]Latencies, len(sides))
	units := make([]int, len(sides))
	for s := range sides {
		lat[s] = make([]Latencies, len(sides[s]))
	}
	enough := func(elapsed time.Duration) bool {
		if elapsed < b.Time {
			return false
		}
		for _, u := range units {
			if u < b.MinUnits {
				return false
			}
		}
		return true
	}
	start := time.Now()
	for round := 0; !enough(time.Since(start)); round++ {
		for k := range sides {
			s := (round + k) % len(sides)
			blockStart := time.Now()
			for {
				for o, op := range sides[s] {
					d, err := op(ctx, units[s])
					lat[s][o] = append(lat[s][o], d)
					if err != nil {
						return nil, &sideError{side: s, err: fmt.Errorf("round %d: %w", round, err)}
					}
				}
				units[s]++
				if time.Since(blockStart) >= b.Block {
					break
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return lat, nil
}

// sideError is the failure of one side of a comparison: its index in the
// sides, so that the harness can tell a peer's failure (a finding, which
// it reports) from securestore's (which ends the run).
type sideError struct {
	side int
	err  error
}

func (e *sideError) Error() string { return e.err.Error() }
func (e *sideError) Unwrap() error { return e.err }

// failedSide is the index of the side that failed in err, or -1.
func failedSide(err error) int {
	var se *sideError
	if errors.As(err, &se) {
		return se.side
	}
	return -1
}

// pickKey is the pre-filled item that a side reads the i-th time, of a
// store of n items: pseudo-random, the same sequence for every side.
func pickKey(i, n int) string {
	x := uint64(i)*0x9e3779b97f4a7c15 + 0x5ec
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 29
	return FillKey(int(x % uint64(n)))
}

// setNew and deleteNew are the workload's writes: the i-th time, create
// NewKey(i), then delete it again, so the store keeps its n items.
func setNew(st Store) sideOp {
	return func(ctx context.Context, i int) (time.Duration, error) {
		k := NewKey(i)
		v := Value(k)
		t := time.Now()
		err := st.Set(ctx, k, v)
		d := time.Since(t)
		if err != nil {
			return d, fmt.Errorf("%s: Set %s: %w", st.Name(), k, err)
		}
		return d, nil
	}
}

func deleteNew(st Store) sideOp {
	return func(ctx context.Context, i int) (time.Duration, error) {
		k := NewKey(i)
		t := time.Now()
		err := st.Delete(ctx, k)
		d := time.Since(t)
		if err != nil {
			return d, fmt.Errorf("%s: Delete %s: %w", st.Name(), k, err)
		}
		return d, nil
	}
}

// getFilled is the workload's read: a random pre-filled item of a store
// of n, whose value is checked.
func getFilled(st Store, n int) sideOp {
	return func(ctx context.Context, i int) (time.Duration, error) {
		k := pickKey(i, n)
		t := time.Now()
		v, err := st.Get(ctx, k)
		d := time.Since(t)
		if err != nil {
			return d, fmt.Errorf("%s: Get %s: %w", st.Name(), k, err)
		}
		return d, checkValue(st.Name(), k, v)
	}
}

// listAll lists st and checks that it holds exactly the n pre-filled keys.
func listAll(st Store, n int) sideOp {
	return func(ctx context.Context, _ int) (time.Duration, error) {
		t := time.Now()
		keys, err := st.List(ctx)
		d := time.Since(t)
		if err != nil {
			return d, fmt.Errorf("%s: List: %w", st.Name(), err)
		}
		return d, checkKeys(st.Name(), keys, n)
	}
}

// checkKeys fails unless keys are exactly FillKey(0) … FillKey(n-1).
func checkKeys(store string, keys []string, n int) error {
	if len(keys) != n {
		return fmt.Errorf("%s: List returned %d keys, want %d", store, len(keys), n)
	}
	seen := make(map[string]bool, n)
	for _, k := range keys {
		seen[k] = true
	}
	for i := range n {
		if !seen[FillKey(i)] {
			return fmt.Errorf("%s: List misses %s", store, FillKey(i))
		}
	}
	return nil
}
