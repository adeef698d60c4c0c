package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RunConfig is what a run needs besides its Settings.
type RunConfig struct {
	Settings Settings
	// WorkDir holds the file-based stores; it must be on the disk the
	// results are meant for (the fsync floor is measured there too).
	WorkDir string
	// CLI is the built securestore command; "" skips the CLI comparison.
	CLI string
	// SecurestoreVersion is the repository's revision, for the report.
	SecurestoreVersion string
	// Out receives the results as they are measured.
	Out io.Writer
}

type harness struct {
	cfg     RunConfig
	s       Settings
	res     *Results
	filled  map[string]int // items in each backing (see Shared)
	skipped map[string]bool
}

// Run measures every store of the lineup at every size of cfg.Settings,
// pair by pair, printing each result as it comes, and returns them all.
// Any wrong value, wrong list or failed operation ends the run with an
// error: a comparison with a broken side means nothing.
func Run(ctx context.Context, cfg RunConfig) (*Results, error) {
	h := &harness{
		cfg:     cfg,
		s:       cfg.Settings,
		filled:  map[string]int{},
		skipped: map[string]bool{},
		res:     &Results{Settings: cfg.Settings, Started: time.Now().UTC()},
	}
	h.res.Env = CollectEnvironment(ctx, cfg.WorkDir, cfg.SecurestoreVersion)
	h.printf("storebench: %s, %d cores, load %s; stores in %s\n", h.res.Env.CPU, h.res.Env.Cores, h.res.Env.LoadStart, h.res.Env.Filesystem)
	l, err := newLineup(ctx, h)
	if err != nil {
		return nil, err
	}
	err = h.run(ctx, l)
	if cerr := l.close(); err == nil {
		err = cerr
	}
	h.res.Finished = time.Now().UTC()
	h.res.Env.LoadEnd = loadAvg()
	return h.res, err
}

func (h *harness) run(ctx context.Context, l *lineup) error {
	if h.s.CLIOnly {
		return h.runCLIOnly(ctx, l)
	}
	for _, n := range h.s.Sizes {
		h.printf("\n== stores of %s items\n", groupThousands(float64(n)))
		ready := map[Store]bool{}
		for _, st := range l.stores() {
			ok, err := h.fill(ctx, st, n)
			if err != nil {
				return fmt.Errorf("fill %s to %d: %w", st.Name(), n, err)
			}
			ready[st] = ok
		}
		for _, p := range l.pairs() {
			if !ready[p.base] || !ready[p.peer] {
				continue
			}
			if err := h.compareItems(ctx, p, n); err != nil {
				return err
			}
			if err := h.compareList(ctx, p, n); err != nil {
				return err
			}
		}
		if err := h.compareFloor(ctx, l.ssFile, n); err != nil {
			return err
		}
		if err := h.compareCLI(ctx, l.cliStores(), ready, n); err != nil {
			return err
		}
		if n == h.s.WritersAt {
			if err := h.compareAllWriters(ctx, l, ready, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *harness) printf(format string, args ...any) {
	fmt.Fprintf(h.cfg.Out, format, args...)
}

// skip records (once) that what was not measured for store, and why.
func (h *harness) skip(store, what, why string) {
	k := store + "\x00" + what
	if h.skipped[k] {
		return
	}
	h.skipped[k] = true
	h.res.Skips = append(h.res.Skips, Skip{Store: store, What: what, Why: why})
	h.printf("skip %s: %s: %s\n", store, what, why)
}

// fill brings st to n items, through the fastest path it offers, unless
// n is over its limit (then it reports false).
func (h *harness) fill(ctx context.Context, st Store, n int) (bool, error) {
	lim := limitsOf(st)
	if lim.MaxItems > 0 && n > lim.MaxItems {
		h.skip(st.Name(), fmt.Sprintf("stores of more than %s items", groupThousands(float64(lim.MaxItems))), lim.MaxItemsWhy)
		return false, nil
	}
	b := backingOf(st)
	have := h.filled[b]
	if have >= n {
		return true, nil
	}
	keys := make([]string, 0, n-have)
	for i := have; i < n; i++ {
		keys = append(keys, FillKey(i))
	}
	method := fmt.Sprintf("Set, %d at a time", lim.FillWorkers)
	start := time.Now()
	var err error
	if bf, ok := st.(BulkFiller); ok {
		method = bf.FillMethod()
		err = bf.Fill(ctx, keys)
	} else {
		err = setAll(ctx, st, keys, lim.FillWorkers)
	}
	if err != nil {
		return false, err
	}
	d := time.Since(start)
	// Spot-check the fill the way a user would see it.
	last := keys[len(keys)-1]
	v, err := st.Get(ctx, last)
	if err != nil {
		return false, fmt.Errorf("after filling, Get %s: %w", last, err)
	}
	if err := checkValue(st.Name(), last, v); err != nil {
		return false, err
	}
	h.filled[b] = n
	h.res.Fills = append(h.res.Fills, Fill{Store: st.Name(), From: have, To: n, Duration: d, Method: method})
	h.printf("fill %s: %d → %d items in %s (%s)\n", st.Name(), have, n, FormatDuration(d), method)
	return true, nil
}

// setAll stores every key's value with Set from workers goroutines.
func setAll(ctx context.Context, st Store, keys []string, workers int) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(keys) {
					return
				}
				if err := st.Set(ctx, keys[i], Value(keys[i])); err != nil {
					once.Do(func() { first = fmt.Errorf("Set %s: %w", keys[i], err) })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// record adds a cell to the results and prints it.
func (h *harness) record(c Cell) {
	h.res.Cells = append(h.res.Cells, c)
	h.printf("%s\n", c.Line())
}

// compareItems compares the pair's writes (Set of a new item, then its
// Delete) and, separately, their reads (Get of a random existing item):
// a read right after a write measures the write's after-effects too
// (SQLite drops a reader's page cache whenever the database changed).
func (h *harness) compareItems(ctx context.Context, p pair, n int) error {
	stores := []Store{p.base, p.peer}
	w, err := interleave(ctx, h.s.Items, [][]sideOp{
		{setNew(p.base), deleteNew(p.base)},
		{setNew(p.peer), deleteNew(p.peer)},
	})
	if err != nil {
		return h.peerFailed(err, stores, "Set and Delete", n)
	}
	r, err := interleave(ctx, h.s.Items, [][]sideOp{{getFilled(p.base, n)}, {getFilled(p.peer, n)}})
	if err != nil {
		return h.peerFailed(err, stores, "Get", n)
	}
	h.record(cellOf(OpSet, n, stores, w[0][0], w[1][0]))
	h.record(cellOf(OpGet, n, stores, r[0][0], r[1][0]))
	h.record(cellOf(OpDelete, n, stores, w[0][1], w[1][1]))
	return nil
}

// cellOf makes a Cell of op from each store's latencies, in order.
func cellOf(op Op, n int, stores []Store, lat ...Latencies) Cell {
	c := Cell{Op: op, Items: n}
	for i, st := range stores {
		c.Sides = append(c.Sides, Side{Store: st.Name(), Latency: lat[i].Summary()})
	}
	return c
}

// compareList compares List on the pair, when both can list.
func (h *harness) compareList(ctx context.Context, p pair, n int) error {
	for _, st := range []Store{p.base, p.peer} {
		if _, err := st.List(ctx); errors.Is(err, ErrUnsupported) {
			h.skip(st.Name(), "List", strings.TrimSuffix(err.Error(), ": "+ErrUnsupported.Error()))
			return nil
		}
	}
	lat, err := interleave(ctx, h.s.List, [][]sideOp{{listAll(p.base, n)}, {listAll(p.peer, n)}})
	if err != nil {
		return h.peerFailed(err, []Store{p.base, p.peer}, "List", n)
	}
	h.record(cellOf(OpList, n, []Store{p.base, p.peer}, lat[0][0], lat[1][0]))
	return nil
}

// Names of the floor's sides in results.
const (
	FloorFsync  = "floor: 4 KB write + fsync"
	FloorAESGCM = "floor: AES-GCM seal of 2 KB"
)

// compareFloor compares securestore's Set with one 4 KB write+fsync in
// its own directory, and its Get with one AES-GCM seal of a 2 KB value.
func (h *harness) compareFloor(ctx context.Context, ss *Securestore, n int) error {
	fs, err := NewFsync(ss.Dir())
	if err != nil {
		return err
	}
	defer fs.Close()
	aes, err := NewAESGCM()
	if err != nil {
		return err
	}
	w, err := interleave(ctx, h.s.Items, [][]sideOp{
		{setNew(ss), deleteNew(ss)},
		{timed(fs.Once)},
	})
	if err != nil {
		return fmt.Errorf("floor, %d items: %w", n, err)
	}
	r, err := interleave(ctx, h.s.Items, [][]sideOp{
		{getFilled(ss, n)},
		{timed(func() error { aes.Seal(); return nil })},
	})
	if err != nil {
		return fmt.Errorf("floor, %d items: %w", n, err)
	}
	h.record(Cell{Op: OpSet, Items: n, Sides: []Side{
		{Store: ss.Name(), Latency: w[0][0].Summary()},
		{Store: FloorFsync, Latency: w[1][0].Summary()},
	}})
	h.record(Cell{Op: OpGet, Items: n, Sides: []Side{
		{Store: ss.Name(), Latency: r[0][0].Summary()},
		{Store: FloorAESGCM, Latency: r[1][0].Summary()},
	}})
	return nil
}

// compareCLI compares one process that prints one value, per store:
// securestore get (both protectors), pass show, secret-tool lookup, one
// process each in turn. A peer that fails is reported and left out.
func (h *harness) compareCLI(ctx context.Context, stores []Store, ready map[Store]bool, n int) error {
	var in []Store
	for _, st := range stores {
		if ready[st] {
			in = append(in, st)
		}
	}
	for len(in) >= 2 {
		// The last two sides are floors, started the same way, so that
		// the start-up every command pays is measured in the same run: a
		// process that does nothing, and securestore's own start
		// (runtime and package initialisation, no store opened).
		floors := []string{FloorTrue, FloorStart}
		sides := make([][]sideOp, len(in)+len(floors))
		for i, st := range in {
			sides[i] = []sideOp{getFilled(st, h.cliItems(st, n))}
		}
		sides[len(in)] = []sideOp{timed(func() error {
			_, err := runProc(ctx, nil, "", FloorTrue)
			return err
		})}
		sides[len(in)+1] = []sideOp{timed(func() error {
			_, err := runProc(ctx, nil, "", h.cfg.CLI, "version")
			return err
		})}
		lat, err := interleave(ctx, h.s.CLI, sides)
		if err != nil {
			i := failedSide(err)
			if i < 0 || i >= len(in) || isSecurestore(in[i]) {
				return fmt.Errorf("CLI get, %d items: %w", n, err)
			}
			h.skip(in[i].Name(), fmt.Sprintf("CLI get at %s items", items(n)), "failed: "+err.Error())
			in = append(in[:i:i], in[i+1:]...)
			continue
		}
		c := Cell{Op: OpCLIGet, Items: n}
		for i, st := range in {
			c.Sides = append(c.Sides, Side{Store: st.Name(), Latency: lat[i][0].Summary()})
		}
		for j, f := range floors {
			c.Sides = append(c.Sides, Side{Store: f, Latency: lat[len(in)+j][0].Summary()})
		}
		h.record(c)
		return nil
	}
	return nil
}

// FloorTrue is the CLI comparison's floor: a process that does nothing.
const FloorTrue = "/bin/true"

// FloorStart is the CLI comparison's second floor: `securestore version`,
// the binary's own start (Go runtime, every package's initialisation)
// without a store. The rest of a get is opening the store and reading.
const FloorStart = "securestore version"

// cliItems is how many items st's side reads from: n, or in a CLI-only
// run the most a capped peer was filled to (runCLIOnly).
func (h *harness) cliItems(st Store, n int) int {
	if have := h.filled[backingOf(st)]; h.s.CLIOnly && have < n {
		return have
	}
	return n
}

// runCLIOnly is the CLI get comparison alone, at each size: securestore
// get against pass show, secret-tool lookup and /bin/true. A peer capped
// below the size (secret-tool, see keyringMaxItemsWhy) is filled to its
// cap and read from that many items, and the run says so.
func (h *harness) runCLIOnly(ctx context.Context, l *lineup) error {
	stores := l.cliStores()
	if len(stores) == 0 {
		return errors.New("the CLI-only run needs the securestore binary (-cli)")
	}
	// The library adapters first: a CLI store shares its adapter's
	// store, which the adapter fills in bulk rather than with a process
	// per item.
	var fills []Store
	for _, ss := range []*Securestore{l.ssFile, l.ssSS} {
		if ss != nil {
			fills = append(fills, ss)
		}
	}
	fills = append(fills, stores...)
	for _, n := range h.s.Sizes {
		h.printf("\n== stores of %s items (CLI get only)\n", groupThousands(float64(n)))
		ready := map[Store]bool{}
		for _, st := range fills {
			size := n
			if lim := limitsOf(st); lim.MaxItems > 0 && lim.MaxItems < n {
				size = lim.MaxItems
				h.printf("%s: read from %s items, its cap (%s)\n", st.Name(), groupThousands(float64(size)), lim.MaxItemsWhy)
			}
			ok, err := h.fill(ctx, st, size)
			if err != nil {
				return fmt.Errorf("fill %s to %d: %w", st.Name(), size, err)
			}
			ready[st] = ok
		}
		if err := h.compareCLI(ctx, stores, ready, n); err != nil {
			return err
		}
	}
	return nil
}

func isSecurestore(st Store) bool {
	switch st.(type) {
	case *Securestore, *SecurestoreCLI:
		return true
	}
	return false
}

// peerFailed turns a comparison's failure into a reported finding when
// the peer failed (a peer that breaks under the workload is a result), and
// into the run's error when securestore did (that is a bug to fix first).
func (h *harness) peerFailed(err error, stores []Store, what string, n int) error {
	i := failedSide(err)
	if i < 0 || isSecurestore(stores[i]) {
		return fmt.Errorf("%s, %d items: %w", what, n, err)
	}
	h.skip(stores[i].Name(), fmt.Sprintf("%s at %s items", what, items(n)), "failed: "+err.Error())
	return nil
}

// compareAllWriters measures 1, 8 and 64 concurrent writers on each pair
// whose peer allows concurrent use.
func (h *harness) compareAllWriters(ctx context.Context, l *lineup, ready map[Store]bool, n int) error {
	for _, p := range l.pairs() {
		if p.base == Store(l.ssFile) && p.peer == Store(l.ssSS) {
			continue // the same engine twice
		}
		if why := limitsOf(p.peer).Serial; why != "" {
			h.skip(p.peer.Name(), "concurrent writers", why)
			continue
		}
		if !ready[p.base] || !ready[p.peer] {
			continue
		}
		for _, w := range h.s.Writers {
			c, err := compareWriters(ctx, []Store{p.base, p.peer}, w, n, h.s.WriterChunk, h.s.WriterRounds)
			if err != nil {
				if err := h.peerFailed(err, []Store{p.base, p.peer}, fmt.Sprintf("%d concurrent writers", w), n); err != nil {
					return err
				}
				break
			}
			h.record(c)
		}
	}
	return nil
}
