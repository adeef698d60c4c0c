package bench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Latencies are the timed durations of one operation on one store.
type Latencies []time.Duration

// Summary is what the report shows of a set of latencies.
type Summary struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Summary computes the median and the 99th percentile (nearest rank).
func (l Latencies) Summary() Summary {
	if len(l) == 0 {
		return Summary{}
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return Summary{N: len(s), P50: rank(s, 50), P99: rank(s, 99), Max: s[len(s)-1]}
}

// rank is the p-th percentile of sorted s by nearest rank: the smallest
// sample that at least p% of the samples do not exceed. With fewer than
// 100 samples the p99 is therefore the maximum.
func rank(s []time.Duration, p float64) time.Duration {
	r := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(r, len(s)-1))]
}

// FormatDuration prints d with three significant digits in the unit that
// suits it: 812 ns, 8.34 µs, 4.12 ms, 1.23 s.
func FormatDuration(d time.Duration) string {
	v := float64(d)
	switch {
	case d <= 0:
		return "–"
	case v < 1e3:
		return fmt.Sprintf("%.0f ns", v)
	case v < 1e6:
		return sig3(v/1e3) + " µs"
	case v < 1e9:
		return sig3(v/1e6) + " ms"
	default:
		return sig3(v/1e9) + " s"
	}
}

// FormatRatio prints a ratio the way the tables show it: 431×, 2.7×, 0.84×.
func FormatRatio(r float64) string {
	if r <= 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	return sig3ratio(r) + "×"
}

func sig3ratio(r float64) string {
	switch {
	case r >= 100:
		return groupThousands(math.Round(r))
	case r >= 10:
		return fmt.Sprintf("%.0f", r)
	case r >= 1:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.2f", r)
	}
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// groupThousands prints a whole number with commas: 12,345.
func groupThousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// FormatRate prints operations per second: 1,234/s, 56.7/s.
func FormatRate(r float64) string {
	if r <= 0 {
		return "–"
	}
	if r >= 100 {
		return groupThousands(math.Round(r)) + "/s"
	}
	return sig3(r) + "/s"
}
