package bench

import (
	"fmt"
	"strings"
)

// Line is the cell as the run prints it: each side's median, p99 and
// sample count (writers: throughput), then each other side's ratio to the
// first. The markdown report formats the same figures the same way.
func (c Cell) Line() string {
	var b strings.Builder
	op := string(c.Op)
	if c.Op == OpWriters {
		op = fmt.Sprintf("writers=%d", c.Writers)
	}
	fmt.Fprintf(&b, "%-10s %7s items", op, groupThousands(float64(c.Items)))
	for _, s := range c.Sides {
		if c.Op == OpWriters {
			fmt.Fprintf(&b, " | %s %s (p50 %s, p99 %s)", s.Store, FormatRate(s.PerSecond), FormatDuration(s.Latency.P50), FormatDuration(s.Latency.P99))
		} else {
			fmt.Fprintf(&b, " | %s p50 %s p99 %s n=%d", s.Store, FormatDuration(s.Latency.P50), FormatDuration(s.Latency.P99), s.Latency.N)
		}
	}
	base := c.Sides[0]
	for _, s := range c.Sides[1:] {
		if c.Op == OpWriters {
			fmt.Fprintf(&b, " | %s/%s throughput %s", base.Store, s.Store, FormatRatio(base.PerSecond/s.PerSecond))
		} else {
			fmt.Fprintf(&b, " | %s/%s p50 %s", s.Store, base.Store, FormatRatio(c.ratioP50(s.Store, base.Store)))
		}
	}
	return b.String()
}
