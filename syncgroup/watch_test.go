//go:build unix

package syncgroup

import (
	"errors"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// etcd falls silent (every member frozen with SIGSTOP: connections stay
// open, nothing answers) while device b's Run watches. b must notice and
// give the watch up with ErrUnavailable instead of waiting on it for
// ever; once the members are thawed, b reconnects, catches up from the
// revision it kept (no full listing) and receives a's change.
func TestSilentEtcdEndsTheWatch(t *testing.T) {
	c := testCluster(t)
	devs := c.joined(t, 2)
	a, b := devs[0], devs[1]
	// Shortened bounds: b asks for progress after 200 ms of quiet and
	// gives up 1 s after asking.
	b.g.watchIdle, b.g.progressWait = 200*time.Millisecond, time.Second
	var frozen atomic.Bool
	silences := make(chan error, 1)
	b.g.testOnlySilent = func(err error) {
		if frozen.Load() {
			select {
			case silences <- err:
			default:
			}
		}
	}
	a.start()
	b.start()

	// b's watch is up: it delivered a's change.
	a.set("before", "1")
	settle(t, a, b)
	listings := b.g.listings.Load()
	kept := b.g.Revision()

	ms := c.members(t)
	frozen.Store(true)
	for _, m := range ms {
		m.signal(t, syscall.SIGSTOP)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			for _, m := range ms {
				m.signal(t, syscall.SIGCONT)
			}
			thawed = true
		}
	}
	defer thaw()

	select {
	case err := <-silences:
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "went silent") {
			t.Errorf("b gave the watch up with %v, want ErrUnavailable saying it went silent", err)
		}
	case <-ctxFor(t, 30*time.Second).Done():
		t.Fatal("b's watch waited on a frozen etcd and never said so")
	}
	thaw()

	a.set("after", secretValue)
	settle(t, a, b)
	if v, err := b.get("after"); err != nil || v != secretValue {
		t.Fatalf("b: after = %q, %v", v, err)
	}
	if b.g.Revision() <= kept {
		t.Errorf("b's revision %d did not move past %d", b.g.Revision(), kept)
	}
	if n := b.g.listings.Load(); n != listings {
		t.Errorf("b caught up with %d full listings, want none: it should resume from the revision it kept", n-listings)
	}
	checkConverged(t, a, b)
}
