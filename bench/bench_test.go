package bench

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The harness checks every value it reads against Value, and the soak
// every value against soakValue: those checks must tell right from wrong.
func TestValuesAreCheckable(t *testing.T) {
	v := Value(FillKey(7))
	if len(v) != ValueSize || !strings.HasPrefix(v, FillKey(7)+":") || v != Value(FillKey(7)) {
		t.Fatalf("Value is not a fixed %d-byte value starting with its key: %.30q", ValueSize, v)
	}
	if checkValue("s", FillKey(7), v) != nil || checkValue("s", FillKey(8), v) == nil {
		t.Error("checkValue does not tell the key's value from another's")
	}
	if strings.ContainsAny(v, " \t\n") {
		t.Error("Value has whitespace, which pass insert -e would strip")
	}
	k := soakKey(1, 2)
	if !wellFormed(k, soakValue(k, 5)) {
		t.Error("wellFormed rejects a value a write stored")
	}
	for _, bad := range []string{soakValue(soakKey(1, 3), 5), soakValue(k, 5)[:100], strings.Replace(soakValue(k, 5), ":5:", ":6:", 1)} {
		if wellFormed(k, bad) {
			t.Errorf("wellFormed accepts %.30q", bad)
		}
	}
}

func TestCheckKeys(t *testing.T) {
	keys := []string{FillKey(2), FillKey(0), FillKey(1)}
	if err := checkKeys("s", keys, 3); err != nil {
		t.Error(err)
	}
	if checkKeys("s", keys[:2], 3) == nil || checkKeys("s", []string{FillKey(0), FillKey(1), NewKey(0)}, 3) == nil {
		t.Error("checkKeys accepts a list that is not the filled keys")
	}
}

func TestSummaryPercentiles(t *testing.T) {
	var l Latencies
	for i := 1; i <= 200; i++ {
		l = append(l, time.Duration(201-i)*time.Microsecond)
	}
	s := l.Summary()
	if s.N != 200 || s.P50 != 100*time.Microsecond || s.P99 != 198*time.Microsecond || s.Max != 200*time.Microsecond {
		t.Errorf("Summary = %+v", s)
	}
}

func TestHistogramPercentile(t *testing.T) {
	h := Histogram{}
	for i := 1; i <= 1000; i++ {
		h.Add(time.Duration(i) * time.Microsecond)
	}
	for p, want := range map[float64]time.Duration{50: 500 * time.Microsecond, 99: 990 * time.Microsecond} {
		got := h.Percentile(p)
		if diff := float64(got-want) / float64(want); diff < -0.06 || diff > 0.06 {
			t.Errorf("p%v = %v, want %v ± 6%%", p, got, want)
		}
	}
	o := Histogram{}
	o.Add(time.Second)
	h.Merge(o)
	if h.Count() != 1001 {
		t.Errorf("merged count %d", h.Count())
	}
}

func TestSpliceKeepsTheRest(t *testing.T) {
	doc := "# Benchmarks\n\nissue 2 text\n"
	once, err := Splice(doc, "A\n")
	if err != nil || !strings.HasPrefix(once, doc) || !strings.Contains(once, MarkerBegin+"\nA\n"+MarkerEnd) {
		t.Fatalf("first splice: %q, %v", once, err)
	}
	twice, err := Splice(once+"after\n", "B\n")
	if err != nil || strings.Contains(twice, "A\n") || !strings.Contains(twice, "B\n") || !strings.HasSuffix(twice, "after\n") || !strings.HasPrefix(twice, doc) {
		t.Fatalf("second splice: %q, %v", twice, err)
	}
	if _, err := Splice(MarkerEnd+MarkerBegin, "C"); err == nil {
		t.Error("markers out of order accepted")
	}
}

func TestPassListParsing(t *testing.T) {
	out := "\x1b[01;34mstorebench\x1b[0m\n├── key-0000000\n├── \x1b[00mkey-0000001\x1b[0m\n└── key-0000002\n"
	keys := passLsKeys(out)
	if err := checkKeys("pass", keys, 3); err != nil {
		t.Error(err, keys)
	}
}

// interleave must give every side its turn, first in alternate rounds,
// and say which side failed.
func TestInterleave(t *testing.T) {
	var order []int
	side := func(s int) sideOp {
		return func(context.Context, int) (time.Duration, error) {
			order = append(order, s)
			return time.Microsecond, nil
		}
	}
	lat, err := interleave(context.Background(), Budget{MinUnits: 2}, [][]sideOp{{side(0)}, {side(1)}})
	if err != nil || len(lat[0][0]) != 2 || len(lat[1][0]) != 2 {
		t.Fatalf("lat %v, %v", lat, err)
	}
	if want := []int{0, 1, 1, 0}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	fail := func(context.Context, int) (time.Duration, error) { return 0, errors.New("boom") }
	_, err = interleave(context.Background(), Budget{MinUnits: 1}, [][]sideOp{{side(0)}, {fail}})
	if failedSide(err) != 1 {
		t.Errorf("failedSide = %d (%v), want 1", failedSide(err), err)
	}
}

func TestLastWordsDropsGLibNoise(t *testing.T) {
	stderr := "\n(secret-tool:1): GLib-GIO-CRITICAL **: x\n\nsecret-tool: No such secret item\n"
	if got := lastWords(stderr); got != "secret-tool: No such secret item" {
		t.Errorf("lastWords = %q", got)
	}
}

// In a CLI-only run a peer capped below the size (secret-tool) is read
// from the items it was filled to, never from keys it does not hold; in
// the full run every side reads from the size itself.
func TestCLIItemsOfACappedPeer(t *testing.T) {
	st := &SecretTool{maxItems: 1_000}
	h := &harness{s: CLISettings(), filled: map[string]int{backingOf(st): 1_000}}
	if got := h.cliItems(st, 10_000); got != 1_000 {
		t.Errorf("CLI-only: a peer filled to 1,000 reads from %d items", got)
	}
	h.s = FullSettings()
	if got := h.cliItems(st, 1_000); got != 1_000 {
		t.Errorf("full run: reads from %d items at 1,000", got)
	}
}

// The CLI table names the floors and gives their ratios to securestore get.
func TestCLITableShowsTheFloor(t *testing.T) {
	res := &Results{Cells: []Cell{{Op: OpCLIGet, Items: 10_000, Sides: []Side{
		{Store: nameCLIFile, Latency: Summary{N: 3, P50: 3 * time.Millisecond, P99: 4 * time.Millisecond}},
		{Store: FloorTrue, Latency: Summary{N: 3, P50: time.Millisecond, P99: 2 * time.Millisecond}},
		{Store: FloorStart, Latency: Summary{N: 3, P50: 1500 * time.Microsecond, P99: 2 * time.Millisecond}},
	}}}}
	rp := &report{r: res}
	rp.cli()
	out := rp.b.String()
	if !strings.Contains(out, "`/bin/true` (floor") || !strings.Contains(out, "0.33×") ||
		!strings.Contains(out, "`securestore version` (its start") || !strings.Contains(out, "0.50×") {
		t.Errorf("CLI table without the floor or its ratio:\n%s", out)
	}
}
