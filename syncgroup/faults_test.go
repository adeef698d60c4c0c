//go:build unix

package syncgroup

import (
	"errors"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/securestore-go/securestore"
)

// The leader is killed while two devices write: after it is back, every
// acknowledged local write is on both devices.
func TestLeaderKilledMidStream(t *testing.T) {
	c := faultCluster(t)
	devs := c.group(t, 2)
	a, b := devs[0], devs[1]
	leader := c.leader(t)
	written := make(chan int, 1)
	go func() {
		n := 0
		defer func() { written <- n }()
		for ; n < 60; n++ {
			if err := a.store.SetItem(t.Context(), fmt.Sprintf("k%02d", n), fmt.Sprintf("%s-%d", secretValue, n), synced); err != nil {
				t.Errorf("SetItem %d: %v", n, err)
				return
			}
			if n == 20 {
				leader.kill(t)
			}
		}
	}()
	for i := range 20 {
		b.set(fmt.Sprintf("b%02d", i), "b")
	}
	n := <-written
	leader.restart(t, c)
	settle(t, a, b)
	got := checkConverged(t, a, b)
	for i := range n {
		if v, err := b.get(fmt.Sprintf("k%02d", i)); err != nil || v != fmt.Sprintf("%s-%d", secretValue, i) {
			t.Errorf("b: k%02d = %q, %v", i, v, err)
		}
	}
	if len(got) != 80 {
		t.Errorf("%d items, want 80", len(got))
	}
	c.checkEtcdBlind(t, secretValue)
}

// One member is stopped and restarted while the group works on through
// the other two.
func TestMemberStoppedAndRestarted(t *testing.T) {
	c := faultCluster(t)
	devs := c.group(t, 2)
	a, b := devs[0], devs[1]
	var m member
	for _, x := range c.members(t) {
		if x != c.leader(t) {
			m = x
			break
		}
	}
	m.kill(t)
	a.set("during", "1")
	settle(t, a, b)
	m.restart(t, c)
	b.set("after", "2")
	settle(t, a, b)
	checkConverged(t, a, b)
	if v, err := a.get("after"); err != nil || v != "2" {
		t.Fatalf("a: after = %q, %v", v, err)
	}
}

// A device offline while etcd compacts past its revision catches up from
// a full listing: changes, deletes and all.
func TestOfflineAcrossCompaction(t *testing.T) {
	c := faultCluster(t)
	devs := c.group(t, 2)
	a, b := devs[0], devs[1]
	for i := range 10 {
		a.set(fmt.Sprintf("k%d", i), "v1")
	}
	settle(t, a, b)
	b.stop()
	seenByB := b.g.Revision()
	for i := range 10 {
		a.set(fmt.Sprintf("k%d", i), "v2")
	}
	if err := a.store.DeleteItem(t.Context(), "k3", nil); err != nil {
		t.Fatal(err)
	}
	rev, err := a.g.Settle(ctxFor(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.cli.Compact(ctxFor(t, 30*time.Second), rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	if rev <= seenByB+1 {
		t.Fatalf("compaction at %d does not pass b's revision %d", rev, seenByB)
	}
	listings := b.g.listings.Load()
	b.start()
	settle(t, a, b)
	checkConverged(t, a, b)
	if b.g.listings.Load() == listings {
		t.Error("b caught up without a full listing, so the compaction was not tested")
	}
	if _, err := b.get("k3"); !errors.Is(err, securestore.ErrNotFound) {
		t.Errorf("b: k3 after a deleted it = %v", err)
	}
	if v, _ := b.get("k9"); v != "v2" {
		t.Errorf("b: k9 = %q", v)
	}
}

// A revoked device keeps what it had, and can read nothing written after:
// its key is not in the new epoch.
func TestRevokedDevice(t *testing.T) {
	c := testCluster(t)
	devs := c.group(t, 3)
	a, b, r := devs[0], devs[1], devs[2]
	a.set("old", "before")
	settle(t, a, b, r)
	if err := a.g.Revoke(ctxFor(t, 30*time.Second), r.g.Code()); err != nil {
		t.Fatal(err)
	}
	a.set("new", secretValue)
	b.set("old", "after")
	settle(t, a, b)
	top, _ := a.g.Settle(ctxFor(t, 30*time.Second))
	if err := r.g.WaitRevision(ctxFor(t, 30*time.Second), top); err != nil {
		t.Fatal(err)
	}
	checkConverged(t, a, b)
	if _, err := r.get("new"); !errors.Is(err, securestore.ErrNotFound) {
		t.Errorf("the revoked device reads an item written after: %v", err)
	}
	if v, _ := r.get("old"); v != "before" {
		t.Errorf("the revoked device has old = %q, want what it had (before)", v)
	}
	st, err := r.g.Status(ctxFor(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if st.Waiting == 0 {
		t.Error("the revoked device's status shows no records it cannot read")
	}
	for _, d := range st.Devices {
		if d.ID == r.g.Device() {
			t.Error("the revoked device is still published")
		}
	}
	// Everything in etcd is under the new epoch now.
	resp, err := c.cli.Get(ctxFor(t, 10*time.Second), a.g.cfg.itemsPrefix(), clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		if h, _, err := parseHeader(kv.Value); err != nil || h.epoch != 2 {
			t.Errorf("%s: epoch %d, %v; want 2", kv.Key, h.epoch, err)
		}
	}
	c.checkEtcdBlind(t, secretValue)
}

// etcd hung (every member stopped with SIGSTOP) blocks neither SetItem nor
// GetItem; pushing fails with ErrUnavailable at its deadline, and the
// change is pushed once etcd is back.
func TestEtcdHungNeverBlocksTheStore(t *testing.T) {
	c := faultCluster(t)
	devs := c.group(t, 2)
	a, b := devs[0], devs[1]
	thaw := c.freeze(t)
	defer thaw()
	a.set("k", "while-hung")
	if v, err := a.get("k"); err != nil || v != "while-hung" {
		t.Fatalf("GetItem while etcd hangs = %q, %v", v, err)
	}
	if _, err := a.g.Flush(ctxFor(t, 30*time.Second)); !isUnavailable(err) {
		t.Fatalf("Flush while etcd hangs = %v, want ErrUnavailable", err)
	}
	thaw()
	settle(t, a, b)
	if v, err := b.get("k"); err != nil || v != "while-hung" {
		t.Fatalf("b: k = %q, %v", v, err)
	}
}
