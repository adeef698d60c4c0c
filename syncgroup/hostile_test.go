//go:build unix

package syncgroup

import (
	"math"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
)

// Hostile or corrupted values in etcd: a wrong key, truncated bytes,
// another group's record, a replay of an older revision, a record moved
// to another item's key. Each gives a typed error in the status and
// changes no local item.
func TestHostileRecords(t *testing.T) {
	c := testCluster(t)
	devs := c.group(t, 2)
	a, b := devs[0], devs[1]
	other := c.group(t, 1)[0] // another group, same item names
	a.set("k", "v1")
	a.set("j", "j1")
	other.set("k", "theirs")
	settle(t, a, b)
	settle(t, other)
	ctx := ctxFor(t, 30*time.Second)
	items := a.g.cfg.itemsPrefix()
	get := func(g *Group, key string) ([]byte, int64) {
		t.Helper()
		_, _, bnd, err := g.current()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.cli.Get(ctx, g.cfg.itemsPrefix()+nameMAC(bnd.nameKey(), g.groupID, "app", key))
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("%s: %v, %d kvs", key, err, len(resp.Kvs))
		}
		return resp.Kvs[0].Value, resp.Kvs[0].ModRevision
	}
	_, epoch, bnd, _ := a.g.current()
	kName := nameMAC(bnd.nameKey(), a.g.groupID, "app", "k")
	v1, _ := get(a.g, "k")
	a.set("k", "v2")
	settle(t, a, b)
	v2, _ := get(a.g, "k")
	theirs, _ := get(other.g, "k")
	jRec, _ := get(a.g, "j")
	before := b.snapshot()

	wrongKey := append([]byte{}, v2...)
	wrongKey[len(wrongKey)-1] ^= 1
	cases := []struct {
		name  string
		key   string
		value []byte
		want  error
	}{
		{"altered", kName, wrongKey, ErrBadRecord},
		{"truncated", kName, v2[:len(v2)/2], ErrBadRecord},
		{"garbage", kName, []byte("not a record"), ErrBadRecord},
		{"another group's", kName, theirs, ErrBadRecord},
		{"moved to another item", kName, jRec, ErrBadRecord},
		{"replayed older revision", kName, v1, ErrStaleChange},
		{"unknown name", "AAAA", v2, ErrBadRecord},
		// Sealed under the group key, as a key holder can: a version that
		// would wrap the Lamport clock to 0 and freeze the item.
		{"version 2^64-1", kName, sealRecord(bnd, a.g.groupID, epoch, kName, &securestore.SyncChange{
			Service: "app", Key: "k", Value: []byte("frozen"), Lamport: math.MaxUint64, Device: a.g.device}), ErrBadRecord},
	}
	for _, tc := range cases {
		resp, err := c.cli.Put(ctx, items+tc.key, string(tc.value))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.g.WaitRevision(ctx, resp.Header.Revision); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !b.g.HasError(tc.want) {
			t.Errorf("%s: no %v in b's status: %v", tc.name, tc.want, b.g.Errors())
		}
		b.g.mu.Lock()
		b.g.errs = nil
		b.g.mu.Unlock()
		after := b.snapshot()
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s: b's %s changed from %q to %q", tc.name, k, v, after[k])
			}
		}
		if len(after) != len(before) {
			t.Errorf("%s: b holds %d items, had %d", tc.name, len(after), len(before))
		}
	}
	// The owner's next write wins over the garbage.
	a.set("k", "v3")
	settle(t, a, b)
	if v, _ := b.get("k"); v != "v3" {
		t.Errorf("b: k = %q after a rewrote it, want v3", v)
	}
	// What `securestore sync status` shows: the errors, kept in the store.
	st, err := b.g.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Revision < 1 || st.Pending != 0 || len(st.Devices) != 2 {
		t.Errorf("status: revision %d, pending %d, %d devices", st.Revision, st.Pending, len(st.Devices))
	}
}
