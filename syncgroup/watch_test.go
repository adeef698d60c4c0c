//go:build unix

package syncgroup

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// etcd falls silent (every member frozen with SIGSTOP: connections stay
// open, nothing answers) while device b's Run watches. b must notice and
// give the watch up with ErrUnavailable instead of waiting on it for
// ever; once the members are thawed, b reconnects, catches up from the
// revision it kept (no full listing) and receives a's change.
func TestSilentEtcdEndsTheWatch(t *testing.T) {
	c := faultCluster(t)
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

	frozen.Store(true)
	thaw := c.freeze(t)
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

// Device b's connections to every member die without a word (a NAT
// dropped the flows: no reset, no error; new connections work). b's
// watch and every connection it had are dead for good, so b must both
// give up the watch and drop the connections (keepalive), then reconnect
// and receive a's change. The keepalive interval cannot be shortened
// below gRPC's floor of 10 s, so this test takes about 13 s.
func TestDeadConnectionsAreReplaced(t *testing.T) {
	c := testCluster(t)
	prefix := c.prefix(t)
	ctx := ctxFor(t, 30*time.Second)
	var proxies []*blackhole
	var via []string
	for _, ep := range c.endpoints {
		p := newBlackhole(t, ep)
		proxies = append(proxies, p)
		via = append(via, p.addr())
	}
	a := c.device(t, prefix, "a")
	b := c.deviceVia(t, prefix, "b", via)
	if err := a.g.Create(ctx); err != nil {
		t.Fatal(err)
	}
	code, err := b.g.Join(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.g.Approve(ctx, code); err != nil {
		t.Fatal(err)
	}
	if err := b.g.WaitMember(ctx); err != nil {
		t.Fatal(err)
	}
	b.g.watchIdle, b.g.progressWait = 200*time.Millisecond, time.Second
	var silences atomic.Int64
	b.g.testOnlySilent = func(error) { silences.Add(1) }
	a.start()
	b.start()
	a.set("before", "1")
	settle(t, a, b)
	listings := b.g.listings.Load()
	before := silences.Load()

	for _, p := range proxies {
		p.cut()
	}
	a.set("after", secretValue)
	rev, err := a.g.Settle(ctxFor(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.g.WaitRevision(ctxFor(t, 60*time.Second), rev); err != nil {
		t.Fatalf("b never received a's change over dead connections (at revision %d, want %d): %v", b.g.Revision(), rev, err)
	}
	if v, err := b.get("after"); err != nil || v != secretValue {
		t.Fatalf("b: after = %q, %v", v, err)
	}
	if silences.Load() == before {
		t.Error("b's watch never said it went silent over dead connections")
	}
	if n := b.g.listings.Load(); n != listings {
		t.Errorf("b caught up with %d full listings, want none", n-listings)
	}
}
