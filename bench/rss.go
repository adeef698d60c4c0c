package bench

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// Memory is a process's memory at one moment.
type Memory struct {
	// RSSKiB is the resident set size (VmRSS in /proc/self/status),
	// after the runtime returned the memory it had freed to the OS: what
	// the process holds, not what a past List's garbage left behind.
	RSSKiB int64 `json:"rss_kib"`
	// HeapKiB is the Go heap in use after a collection: a leak of Go
	// objects shows here before it moves the RSS.
	HeapKiB int64 `json:"heap_kib"`
}

// readMemory measures this process now; the RSS is 0 where there is no
// /proc.
func readMemory() Memory {
	debug.FreeOSMemory() // collects, then returns freed pages
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := Memory{HeapKiB: int64(ms.HeapInuse / 1024)}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				m.RSSKiB, _ = strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return m
}
