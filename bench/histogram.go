package bench

import (
	"math"
	"time"
)

// Histogram counts latencies in logarithmic buckets, eight per doubling
// (each about 9% wide), so that the soak's processes can send theirs to
// the parent and the parent can merge them into exact-enough percentiles
// without shipping every sample.
type Histogram map[int]int

const bucketsPerDoubling = 8

// Add counts d.
func (h Histogram) Add(d time.Duration) {
	ns := max(float64(d.Nanoseconds()), 1)
	h[int(math.Floor(math.Log2(ns)*bucketsPerDoubling))]++
}

// Merge adds o's counts to h.
func (h Histogram) Merge(o Histogram) {
	for b, n := range o {
		h[b] += n
	}
}

// Count is the number of latencies counted.
func (h Histogram) Count() int {
	n := 0
	for _, c := range h {
		n += c
	}
	return n
}

// Percentile is the p-th percentile, as the middle of its bucket (within
// about 5% of the true value).
func (h Histogram) Percentile(p float64) time.Duration {
	total := h.Count()
	if total == 0 {
		return 0
	}
	lo, hi := math.MaxInt, math.MinInt
	for b := range h {
		lo, hi = min(lo, b), max(hi, b)
	}
	want := int(math.Ceil(p / 100 * float64(total)))
	seen := 0
	for b := lo; b <= hi; b++ {
		seen += h[b]
		if seen >= max(want, 1) {
			return time.Duration(math.Exp2((float64(b) + 0.5) / bucketsPerDoubling))
		}
	}
	return time.Duration(math.Exp2((float64(hi) + 0.5) / bucketsPerDoubling))
}
