package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/securestore-go/securestore"
)

// SoakConfig is one soak: Procs processes run the mixed workload on one
// store for Duration, and then the parent checks the store against what
// every process was told had succeeded.
type SoakConfig struct {
	Dir         string // the store's directory; "" = a new temporary one
	Protector   string
	Procs       int
	KeysPerProc int
	Duration    time.Duration
	Interval    time.Duration
	// Exe is the storebench binary to start the processes from.
	Exe string
	Out io.Writer
}

// SoakResult is what a soak measured and found.
type SoakResult struct {
	Date        string         `json:"date"`
	Procs       int            `json:"procs"`
	KeysPerProc int            `json:"keys_per_proc"`
	Protector   string         `json:"protector"`
	Duration    time.Duration  `json:"duration_ns"`
	Interval    time.Duration  `json:"interval_ns"`
	LoadStart   string         `json:"load_start"`
	LoadEnd     string         `json:"load_end"`
	Intervals   []SoakInterval `json:"intervals"`
	Processes   []SoakProcess  `json:"processes"`
	Check       SoakCheck      `json:"check"`
	StoreBytes  int64          `json:"store_bytes"` // the store's files at the end
}

// SoakInterval is the whole store's load in one interval.
type SoakInterval struct {
	Index     int            `json:"index"`
	Ops       map[string]int `json:"ops"`
	PerSecond float64        `json:"per_second"`
	Errors    int            `json:"errors"`
	Items     int            `json:"items"` // at the interval's end
	GetP50    time.Duration  `json:"get_p50_ns"`
	GetP99    time.Duration  `json:"get_p99_ns"`
	SetP50    time.Duration  `json:"set_p50_ns"`
	SetP99    time.Duration  `json:"set_p99_ns"`
}

// SoakProcess is one process's totals and memory.
type SoakProcess struct {
	ID         int      `json:"id"`
	Ops        int      `json:"ops"`
	Errors     int      `json:"errors"`
	ErrorText  []string `json:"error_text,omitempty"`
	Violations int      `json:"violations"`
	Violation  []string `json:"violation_text,omitempty"`
	MemStart   Memory   `json:"mem_start"`
	MemEnd     Memory   `json:"mem_end"`
}

// SoakCheck is the final check: every key any process wrote, read back
// by a fresh Open after all of them exited.
type SoakCheck struct {
	Present   int      `json:"present"`   // acknowledged writes read back intact
	Absent    int      `json:"absent"`    // acknowledged deletes (or never written) found absent
	Uncertain int      `json:"uncertain"` // keys whose last operation failed
	Failed    int      `json:"failed"`
	Failures  []string `json:"failures,omitempty"`
	Listed    int      `json:"listed"` // keys in the service's list
}

// OK is whether the soak found nothing wrong.
func (r *SoakResult) OK() bool {
	if r.Check.Failed > 0 {
		return false
	}
	for _, p := range r.Processes {
		if p.Errors > 0 || p.Violations > 0 {
			return false
		}
	}
	return true
}

// Soak runs the soak and returns what it found. It returns an error when
// it could not run; a run that found lost writes returns a result whose
// OK is false.
func Soak(ctx context.Context, cfg SoakConfig) (*SoakResult, error) {
	if cfg.Dir == "" {
		d, err := os.MkdirTemp("", "storebench-soak-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		cfg.Dir = filepath.Join(d, "store")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	// Create the store first, so the processes only open it.
	s, err := securestore.Open(ctx, securestore.Config{App: App, Dir: cfg.Dir, Protector: cfg.Protector})
	if err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	res := &SoakResult{
		Date:        time.Now().UTC().Format("2006-01-02 15:04 MST"),
		Procs:       cfg.Procs,
		KeysPerProc: cfg.KeysPerProc,
		Protector:   cfg.Protector,
		Duration:    cfg.Duration,
		Interval:    cfg.Interval,
		LoadStart:   loadAvg(),
	}
	finals, err := runSoakProcs(ctx, cfg, res)
	if err != nil {
		return nil, err
	}
	res.LoadEnd = loadAvg()
	for id, f := range finals {
		res.Processes = append(res.Processes, SoakProcess{
			ID: id, Ops: f.Ops, Errors: f.Errors, ErrorText: f.ErrorText,
			Violations: f.Violations, Violation: f.Violation,
			MemStart: f.MemStart, MemEnd: f.MemEnd,
		})
	}
	if err := checkSoak(ctx, cfg, finals, &res.Check); err != nil {
		return nil, err
	}
	res.StoreBytes = dirBytes(cfg.Dir)
	printSoakEnd(cfg.Out, res)
	return res, nil
}

// runSoakProcs starts the processes, prints the store's load per interval
// as they report it, and returns each process's final report.
func runSoakProcs(ctx context.Context, cfg SoakConfig, res *SoakResult) ([]*soakWorkerReport, error) {
	// Start together, once every process has had time to open the store.
	start := time.Now().Add(time.Second)
	msgs := make(chan soakMsg)
	var wg sync.WaitGroup
	cmds := make([]*exec.Cmd, cfg.Procs)
	readErrs := make([]error, cfg.Procs)
	for id := range cfg.Procs {
		wc := soakWorkerConfig{
			dir: cfg.Dir, protector: cfg.Protector, id: id, procs: cfg.Procs,
			keys: cfg.KeysPerProc, start: start, duration: cfg.Duration, interval: cfg.Interval,
		}
		cmd := exec.CommandContext(ctx, cfg.Exe, append([]string{SoakWorkerCommand}, wc.args()...)...)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		cmds[id] = cmd
		wg.Go(func() {
			sc := bufio.NewScanner(out)
			sc.Buffer(nil, 64<<20) // the final report carries the ledger
			for sc.Scan() {
				var m soakMsg
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					readErrs[id] = fmt.Errorf("soak process %d: %w", id, err)
					continue
				}
				msgs <- m
			}
			readErrs[id] = errors.Join(readErrs[id], sc.Err())
		})
	}
	go func() { wg.Wait(); close(msgs) }()

	printSoakHeader(cfg.Out, cfg)
	finals := make([]*soakWorkerReport, cfg.Procs)
	parts := map[int][]*soakIntervalMsg{}
	for m := range msgs {
		switch {
		case m.Final != nil:
			finals[m.ID] = m.Final
		case m.Interval != nil:
			i := m.Interval.Index
			parts[i] = append(parts[i], m.Interval)
			if len(parts[i]) == cfg.Procs {
				iv := mergeIntervals(i, parts[i], cfg.Interval)
				res.Intervals = append(res.Intervals, iv)
				printSoakInterval(cfg.Out, iv, cfg.Interval)
				delete(parts, i)
			}
		}
	}
	var errs []error
	for id, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("soak process %d: %w", id, err))
		}
		errs = append(errs, readErrs[id])
		if finals[id] == nil {
			errs = append(errs, fmt.Errorf("soak process %d sent no final report", id))
		}
	}
	return finals, errors.Join(errs...)
}

func mergeIntervals(i int, parts []*soakIntervalMsg, interval time.Duration) SoakInterval {
	iv := SoakInterval{Index: i, Ops: map[string]int{}}
	lat := map[string]Histogram{}
	total := 0
	for _, p := range parts {
		for op, n := range p.Ops {
			iv.Ops[op] += n
			total += n
		}
		for op, h := range p.Latency {
			if lat[op] == nil {
				lat[op] = Histogram{}
			}
			lat[op].Merge(h)
		}
		iv.Errors += p.Errors
		iv.Items += p.Present
	}
	iv.PerSecond = float64(total) / interval.Seconds()
	iv.GetP50, iv.GetP99 = lat["get"].Percentile(50), lat["get"].Percentile(99)
	iv.SetP50, iv.SetP99 = lat["set"].Percentile(50), lat["set"].Percentile(99)
	return iv
}

// checkSoak opens the store afresh and checks every key of every
// process against its ledger, then the service's list against the keys
// that must be present.
func checkSoak(ctx context.Context, cfg SoakConfig, finals []*soakWorkerReport, c *SoakCheck) error {
	s, err := securestore.Open(ctx, securestore.Config{App: App, Dir: cfg.Dir, Protector: cfg.Protector})
	if err != nil {
		return err
	}
	defer s.Close()
	opts := &securestore.Options{KeychainService: SoakService}
	fail := func(format string, args ...any) {
		c.Failed++
		if len(c.Failures) < 20 {
			c.Failures = append(c.Failures, fmt.Sprintf(format, args...))
		}
	}
	want := map[string]int{}
	for id, f := range finals {
		if len(f.Ledger) != cfg.KeysPerProc {
			return fmt.Errorf("soak process %d sent a ledger of %d keys, want %d", id, len(f.Ledger), cfg.KeysPerProc)
		}
		for j, ver := range f.Ledger {
			key := soakKey(id, j)
			want[key] = ver
			v, err := s.GetItem(ctx, key, opts)
			found := err == nil
			if err != nil && !errors.Is(err, securestore.ErrNotFound) {
				return fmt.Errorf("final check: get %s: %w", key, err)
			}
			switch {
			case ver == ledgerUncertain:
				c.Uncertain++
				if found && !wellFormed(key, v) {
					fail("%s: a value no write stored", key)
				}
			case ver == ledgerAbsent && found:
				fail("%s: present after its delete was acknowledged", key)
			case ver == ledgerAbsent:
				c.Absent++
			case !found:
				fail("%s: write %d was acknowledged, the key is absent", key, ver)
			case v != soakValue(key, ver):
				fail("%s: holds something other than acknowledged write %d", key, ver)
			default:
				c.Present++
			}
		}
	}
	keys, err := s.Keys(ctx, opts)
	if err != nil {
		return fmt.Errorf("final check: list: %w", err)
	}
	c.Listed = len(keys)
	listed := map[string]bool{}
	for _, k := range keys {
		listed[k] = true
		if ver, ok := want[k]; !ok || ver == ledgerAbsent {
			fail("list: %s is listed but was never written or was deleted", k)
		}
	}
	for k, ver := range want {
		if ver > 0 && !listed[k] {
			fail("list: %s is missing after write %d was acknowledged", k, ver)
		}
	}
	return nil
}

func dirBytes(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n
}

func printSoakHeader(w io.Writer, cfg SoakConfig) {
	fmt.Fprintf(w, "soak: %d processes × %s on one store (%s protector), %s keys each; mix get %d%%, set %d%%, delete %.1f%%, list %.2f%%\n",
		cfg.Procs, cfg.Duration, cfg.Protector, groupThousands(float64(cfg.KeysPerProc)),
		mixGet/100, mixSet/100, float64(mixDelete)/100, float64(mixList)/100)
	fmt.Fprintln(w, SoakIntervalHeader())
}

func printSoakInterval(w io.Writer, iv SoakInterval, interval time.Duration) {
	fmt.Fprintln(w, iv.Row(interval))
}

// SoakIntervalHeader and Row print the per-interval table, in the run's
// output and (as markdown cells) in the report.
func SoakIntervalHeader() string {
	return strings.Join(soakColumns, " | ")
}

var soakColumns = []string{"until", "ops/s", "get", "set", "delete", "list", "items", "get p50", "get p99", "set p50", "set p99", "errors"}

// Cells are the row's values, in soakColumns order.
func (iv SoakInterval) Cells(interval time.Duration) []string {
	return []string{
		(time.Duration(iv.Index+1) * interval).String(),
		FormatRate(iv.PerSecond),
		groupThousands(float64(iv.Ops["get"])),
		groupThousands(float64(iv.Ops["set"])),
		groupThousands(float64(iv.Ops["delete"])),
		groupThousands(float64(iv.Ops["list"])),
		groupThousands(float64(iv.Items)),
		FormatDuration(iv.GetP50), FormatDuration(iv.GetP99),
		FormatDuration(iv.SetP50), FormatDuration(iv.SetP99),
		fmt.Sprint(iv.Errors),
	}
}

// Row is the interval as the soak prints it.
func (iv SoakInterval) Row(interval time.Duration) string {
	return strings.Join(iv.Cells(interval), " | ")
}

func printSoakEnd(w io.Writer, r *SoakResult) {
	for _, p := range r.Processes {
		fmt.Fprintf(w, "process %d: %s ops, %d errors, %d violations; RSS %s → %s, Go heap %s → %s\n",
			p.ID, groupThousands(float64(p.Ops)), p.Errors, p.Violations,
			FormatKiB(p.MemStart.RSSKiB), FormatKiB(p.MemEnd.RSSKiB), FormatKiB(p.MemStart.HeapKiB), FormatKiB(p.MemEnd.HeapKiB))
		for _, t := range append(p.ErrorText, p.Violation...) {
			fmt.Fprintf(w, "  %s\n", t)
		}
	}
	c := r.Check
	fmt.Fprintf(w, "final check (fresh Open): %s acknowledged writes read back intact, %s keys absent as acknowledged, %d uncertain, %d failed; list %s keys\n",
		groupThousands(float64(c.Present)), groupThousands(float64(c.Absent)), c.Uncertain, c.Failed, groupThousands(float64(c.Listed)))
	for _, f := range c.Failures {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "store files: %s\n", FormatKiB(r.StoreBytes/1024))
}

// FormatKiB prints a size given in KiB: 812 KiB, 14.2 MiB.
func FormatKiB(k int64) string {
	if k < 1024 {
		return fmt.Sprintf("%d KiB", k)
	}
	return sig3(float64(k)/1024) + " MiB"
}
