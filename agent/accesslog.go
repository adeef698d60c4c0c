package agent

import "sync"

// accessLogSize is how many entries the in-memory access log keeps; older
// ones are dropped. The log is never written to disk.
const accessLogSize = 4096

// accessLog is a ring of the latest entries.
type accessLog struct {
	mu      sync.Mutex
	entries []LogEntry
	next    int // where the next entry goes once the ring is full
}

func (a *accessLog) add(e LogEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.entries) < accessLogSize {
		a.entries = append(a.entries, e)
		return
	}
	a.entries[a.next] = e
	a.next = (a.next + 1) % accessLogSize
}

// all returns the entries, oldest first.
func (a *accessLog) all() []LogEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]LogEntry, 0, len(a.entries))
	out = append(out, a.entries[a.next:]...)
	return append(out, a.entries[:a.next]...)
}
