package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
)

// SoakWorkerCommand is the hidden storebench command that runs one soak
// process; Soak starts them.
const SoakWorkerCommand = "soak-worker"

// SoakService is the service the soak's items live in.
const SoakService = "soak"

// The soak's mix, in parts of 10,000 operations: mostly reads, some
// writes and deletes, and now and then a list of the whole service (which
// reads and decrypts every name, so it is kept rare).
const (
	mixGet    = 8500
	mixSet    = 1000
	mixDelete = 499
	mixList   = 1
)

// soakKey is process id's j-th key. Only that process writes or deletes
// it, so it always knows what the key must hold.
func soakKey(id, j int) string { return fmt.Sprintf("p%02d-k%06d", id, j) }

// soakValue is the 2 KB value of key at version v: "key:v:" and a filler
// fixed by both, so any process can check any value it reads.
func soakValue(key string, v int) string {
	return filledValue(key+":"+strconv.Itoa(v)+":", key, uint64(v))
}

// wellFormed reports whether value is soakValue(key, v) for some v.
func wellFormed(key, value string) bool {
	rest, ok := strings.CutPrefix(value, key+":")
	if !ok {
		return false
	}
	vs, _, ok := strings.Cut(rest, ":")
	if !ok {
		return false
	}
	v, err := strconv.Atoi(vs)
	return err == nil && value == soakValue(key, v)
}

// Ledger states besides a version (> 0).
const (
	ledgerAbsent    = 0  // deleted or never set, and acknowledged as such
	ledgerUncertain = -1 // the last write or delete failed: either outcome is fine
)

// soakWorkerConfig is one soak process's part.
type soakWorkerConfig struct {
	dir, protector string
	id, procs      int
	keys           int
	start          time.Time
	duration       time.Duration
	interval       time.Duration
}

func (c soakWorkerConfig) args() []string {
	return []string{
		"-dir", c.dir, "-protector", c.protector,
		"-id", strconv.Itoa(c.id), "-procs", strconv.Itoa(c.procs), "-keys", strconv.Itoa(c.keys),
		"-start", strconv.FormatInt(c.start.UnixNano(), 10),
		"-duration", c.duration.String(), "-interval", c.interval.String(),
	}
}

// soakMsg is one line a soak process prints: an interval's counts, or,
// last, its final report.
type soakMsg struct {
	ID       int               `json:"id"`
	Interval *soakIntervalMsg  `json:"interval,omitempty"`
	Final    *soakWorkerReport `json:"final,omitempty"`
}

type soakIntervalMsg struct {
	Index   int                  `json:"index"`
	Ops     map[string]int       `json:"ops"`
	Errors  int                  `json:"errors"`
	Latency map[string]Histogram `json:"latency"`
	// Present is how many of this process's keys hold a value at the
	// interval's end, by its ledger.
	Present int `json:"present"`
}

type soakWorkerReport struct {
	MemStart   Memory   `json:"mem_start"`
	MemEnd     Memory   `json:"mem_end"`
	Ops        int      `json:"ops"`
	Errors     int      `json:"errors"`
	ErrorText  []string `json:"error_text,omitempty"`
	Violations int      `json:"violations"`
	Violation  []string `json:"violation_text,omitempty"`
	// Ledger[j] is what soakKey(id, j) must hold: a version, or
	// ledgerAbsent, or ledgerUncertain.
	Ledger []int `json:"ledger"`
}

// SoakWorkerMain is the soak-worker command: it parses the flags Soak
// passes and runs one process's share, printing soakMsg lines to out.
func SoakWorkerMain(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet(SoakWorkerCommand, flag.ContinueOnError)
	var c soakWorkerConfig
	var start int64
	fs.StringVar(&c.dir, "dir", "", "")
	fs.StringVar(&c.protector, "protector", "file", "")
	fs.IntVar(&c.id, "id", 0, "")
	fs.IntVar(&c.procs, "procs", 1, "")
	fs.IntVar(&c.keys, "keys", 1000, "")
	fs.Int64Var(&start, "start", 0, "")
	fs.DurationVar(&c.duration, "duration", time.Minute, "")
	fs.DurationVar(&c.interval, "interval", 5*time.Second, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.start = time.Unix(0, start)
	return soakWork(ctx, c, json.NewEncoder(out))
}

// soakProc is one soak process's state.
type soakProc struct {
	c        soakWorkerConfig
	s        *securestore.Store
	opts     *securestore.Options
	r        *rand.Rand
	ledger   []int
	nPresent int // ledger entries > 0
	next     int // the next version to write
	rep      soakWorkerReport
	cur      soakIntervalMsg
}

func soakWork(ctx context.Context, c soakWorkerConfig, enc *json.Encoder) error {
	s, err := securestore.Open(ctx, securestore.Config{App: App, Dir: c.dir, Protector: c.protector})
	if err != nil {
		return err
	}
	defer s.Close()
	p := &soakProc{
		c: c, s: s,
		opts:   &securestore.Options{KeychainService: SoakService},
		r:      rand.New(rand.NewPCG(uint64(c.id), uint64(c.start.UnixNano()))),
		ledger: make([]int, c.keys),
		next:   1,
	}
	p.rep.MemStart = readMemory()
	time.Sleep(time.Until(c.start))
	end := c.start.Add(c.duration)
	p.resetInterval(0)
	for now := time.Now(); now.Before(end); now = time.Now() {
		if err := ctx.Err(); err != nil {
			return err
		}
		idx := int(now.Sub(c.start) / c.interval)
		for p.cur.Index < idx {
			if err := enc.Encode(soakMsg{ID: c.id, Interval: &p.cur}); err != nil {
				return err
			}
			p.resetInterval(p.cur.Index + 1)
		}
		p.step(ctx)
	}
	if err := enc.Encode(soakMsg{ID: c.id, Interval: &p.cur}); err != nil {
		return err
	}
	p.rep.MemEnd = readMemory()
	p.rep.Ledger = p.ledger
	return enc.Encode(soakMsg{ID: c.id, Final: &p.rep})
}

func (p *soakProc) resetInterval(i int) {
	p.cur = soakIntervalMsg{Index: i, Ops: map[string]int{}, Latency: map[string]Histogram{}, Present: p.present()}
}

func (p *soakProc) present() int { return p.nPresent }

// record notes in the ledger what key j must hold now.
func (p *soakProc) record(j, v int) {
	if p.ledger[j] > 0 {
		p.nPresent--
	}
	if v > 0 {
		p.nPresent++
	}
	p.ledger[j] = v
}

// step does one operation of the mix and checks what it can. Each
// operation times only its call into the store: making and checking 2 KB
// values costs microseconds of its own.
func (p *soakProc) step(ctx context.Context) {
	var op string
	var d time.Duration
	switch x := p.r.IntN(10_000); {
	case x < mixGet:
		op, d = "get", p.get(ctx)
	case x < mixGet+mixSet:
		op, d = "set", p.set(ctx)
	case x < mixGet+mixSet+mixDelete:
		op, d = "delete", p.delete(ctx)
	default:
		op, d = "list", p.list(ctx)
	}
	p.cur.Ops[op]++
	h := p.cur.Latency[op]
	if h == nil {
		h = Histogram{}
		p.cur.Latency[op] = h
	}
	h.Add(d)
	p.rep.Ops++
	if op != "get" {
		p.cur.Present = p.present()
	}
}

func (p *soakProc) failed(what string, err error) {
	p.rep.Errors++
	p.cur.Errors++
	if len(p.rep.ErrorText) < 20 {
		p.rep.ErrorText = append(p.rep.ErrorText, what+": "+err.Error())
	}
}

func (p *soakProc) violated(format string, args ...any) {
	p.rep.Violations++
	if len(p.rep.Violation) < 20 {
		p.rep.Violation = append(p.rep.Violation, fmt.Sprintf(format, args...))
	}
}

// get reads one of this process's keys (half the time), whose content it
// knows exactly, or another process's, which must be absent or a value
// that some version of that key holds.
func (p *soakProc) get(ctx context.Context) time.Duration {
	id := p.c.id
	if p.c.procs > 1 && p.r.IntN(2) == 0 {
		id = (id + 1 + p.r.IntN(p.c.procs-1)) % p.c.procs
	}
	j := p.r.IntN(p.c.keys)
	key := soakKey(id, j)
	t := time.Now()
	v, err := p.s.GetItem(ctx, key, p.opts)
	d := time.Since(t)
	if err != nil && !errors.Is(err, securestore.ErrNotFound) {
		p.failed("get "+key, err)
		return d
	}
	found := err == nil
	if found && !wellFormed(key, v) {
		p.violated("get %s: a value that no write of that key stored (%.24q)", key, v)
		return d
	}
	if id != p.c.id {
		return d
	}
	switch want := p.ledger[j]; {
	case want == ledgerUncertain:
	case want == ledgerAbsent && found:
		p.violated("get %s: found a value after its delete was acknowledged", key)
	case want > 0 && !found:
		p.violated("get %s: absent after write %d was acknowledged", key, want)
	case want > 0 && v != soakValue(key, want):
		p.violated("get %s: not the last acknowledged write (%d): %.24q", key, want, v)
	}
	return d
}

func (p *soakProc) set(ctx context.Context) time.Duration {
	j := p.r.IntN(p.c.keys)
	key := soakKey(p.c.id, j)
	v := p.next
	p.next++
	value := soakValue(key, v)
	t := time.Now()
	err := p.s.SetItem(ctx, key, value, p.opts)
	d := time.Since(t)
	if err != nil {
		p.record(j, ledgerUncertain)
		p.failed("set "+key, err)
		return d
	}
	p.record(j, v)
	return d
}

func (p *soakProc) delete(ctx context.Context) time.Duration {
	j := p.r.IntN(p.c.keys)
	key := soakKey(p.c.id, j)
	t := time.Now()
	err := p.s.DeleteItem(ctx, key, p.opts)
	d := time.Since(t)
	if err != nil {
		p.record(j, ledgerUncertain)
		p.failed("delete "+key, err)
		return d
	}
	p.record(j, ledgerAbsent)
	return d
}

// list lists the service and checks this process's keys in it against
// the ledger.
func (p *soakProc) list(ctx context.Context) time.Duration {
	t := time.Now()
	keys, err := p.s.Keys(ctx, p.opts)
	d := time.Since(t)
	if err != nil {
		p.failed("list", err)
		return d
	}
	listed := map[string]bool{}
	for _, k := range keys {
		listed[k] = true
	}
	for j, want := range p.ledger {
		key := soakKey(p.c.id, j)
		switch {
		case want > 0 && !listed[key]:
			p.violated("list: %s missing after write %d was acknowledged", key, want)
		case want == ledgerAbsent && listed[key]:
			p.violated("list: %s listed after its delete was acknowledged", key)
		}
	}
	return d
}
