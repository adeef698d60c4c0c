package presence_test

import (
	"sync"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/presence"
)

// clock is a hand-moved clock for the ledger.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)} }

func TestProofFresh(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	p := presence.Proof{Scope: presence.Scope{Store: "s", Item: "k"}, At: at}
	for _, tc := range []struct {
		elapsed, window time.Duration
		want            bool
	}{
		{0, 10 * time.Second, true},
		{9 * time.Second, 10 * time.Second, true},
		{10 * time.Second, 10 * time.Second, false}, // the window is half-open
		{11 * time.Second, 10 * time.Second, false},
		{0, 0, false},                       // no reuse: every read asks
		{0, -time.Second, false},            // nonsense window: no reuse
		{-time.Second, time.Minute, false},  // the clock went backwards
		{6 * time.Minute, time.Hour, false}, // cut to MaxWindow
		{4 * time.Minute, time.Hour, true},
	} {
		if got := p.Fresh(at.Add(tc.elapsed), tc.window); got != tc.want {
			t.Errorf("Fresh %v after, window %v: %v, want %v", tc.elapsed, tc.window, got, tc.want)
		}
	}
	if got := p.Expiry(time.Hour); !got.Equal(at.Add(presence.MaxWindow)) {
		t.Errorf("Expiry(1h) = %v, want At+MaxWindow", got)
	}
	if got := p.Expiry(-time.Second); !got.Equal(at) {
		t.Errorf("Expiry(-1s) = %v, want At", got)
	}
}

// TestProofWallClock: a proof taken with the process's clock (which has a
// monotonic reading) is stale once the wall clock says the window passed,
// even when the monotonic clock says it did not (a suspend stops it), and
// when the wall clock was set back.
func TestProofWallClock(t *testing.T) {
	at := time.Now()
	p := presence.Proof{At: at}
	if !p.Fresh(at.Add(time.Second), time.Minute) {
		t.Fatal("a proof one second old is stale")
	}
	// A reading with only a wall clock: the monotonic check is then the
	// wall one, so these stand for a wall clock moved by suspend or by
	// hand.
	if p.Fresh(at.Round(0).Add(2*time.Minute), time.Minute) {
		t.Error("fresh two wall-clock minutes later with a one-minute window")
	}
	if p.Fresh(at.Round(0).Add(-time.Hour), time.Minute) {
		t.Error("fresh after the wall clock was set back an hour")
	}
}

func TestLedger(t *testing.T) {
	c := newClock()
	l := presence.NewLedger(c.now)
	item := presence.Scope{Store: "a", Item: "token"}
	other := presence.Scope{Store: "a", Item: "other"}
	if l.Fresh(item, time.Minute) {
		t.Fatal("fresh before any proof")
	}
	l.Record(item)
	c.advance(30 * time.Second)
	if !l.Fresh(item, time.Minute) {
		t.Error("the item's proof is stale 30s into a one-minute window")
	}
	if l.Fresh(item, 10*time.Second) {
		t.Error("the item's proof is fresh 30s into a 10s window")
	}
	if l.Fresh(other, time.Minute) {
		t.Error("one item's proof covers another item")
	}
	if l.Fresh(presence.Scope{Store: "b", Item: "token"}, time.Minute) {
		t.Error("a proof for store a covers store b")
	}

	// A proof for the whole store covers its items, and the freshest
	// covering proof is the one reported.
	whole := l.Record(presence.Scope{Store: "a"})
	if !l.Fresh(other, time.Minute) {
		t.Error("the store's proof does not cover its item")
	}
	if p, ok := l.Latest(item, time.Minute); !ok || p != whole {
		t.Errorf("Latest = %v, %v; want the store's newer proof", p, ok)
	}
	c.advance(31 * time.Second) // the item's proof is 61s old, the store's 31s
	if p, ok := l.Latest(item, time.Minute); !ok || p.Scope != (presence.Scope{Store: "a"}) {
		t.Errorf("Latest = %v, %v; want the store's proof", p, ok)
	}
	l.Prune(time.Minute)
	if l.Len() != 1 {
		t.Errorf("after Prune the ledger holds %d proofs, want 1", l.Len())
	}

	l.Record(presence.Scope{Store: "b", Item: "x"})
	l.Forget("a")
	if l.Fresh(other, time.Minute) || !l.Fresh(presence.Scope{Store: "b", Item: "x"}, time.Minute) {
		t.Error("Forget(a) did not drop a's proofs only")
	}
	l.Clear()
	if l.Len() != 0 {
		t.Error("Clear left proofs")
	}
}

// TestLedgerConcurrent: records, reads and forgets from many goroutines
// (run with -race).
func TestLedgerConcurrent(t *testing.T) {
	l := presence.NewLedger(nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := presence.Scope{Store: "s", Item: string(rune('a' + i))}
			for range 100 {
				l.Record(s)
				l.Fresh(s, time.Minute)
				l.Forget("t")
				l.Prune(time.Minute)
			}
		}()
	}
	wg.Wait()
	if l.Len() != 8 {
		t.Errorf("%d proofs, want 8", l.Len())
	}
}
