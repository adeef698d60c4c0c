//go:build unix

package syncgroup

import (
	"errors"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
)

// Class semantics across devices: a WhenUnlocked item that arrives while
// the device is locked is not stored readable: it waits, sealed under the
// group key, until Unlock. An Always item arrives at once. A local
// WhenUnlocked change made before Lock waits to be pushed until Unlock.
func TestLockedDeviceDefersWhenUnlocked(t *testing.T) {
	c := testCluster(t)
	devs := c.group(t, 2)
	a, b := devs[0], devs[1]
	ctx := ctxFor(t, 60*time.Second)
	if err := b.store.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := b.store.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := a.store.SetItem(ctx, "wu", secretValue, &securestore.Options{Synchronizable: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.SetItem(ctx, "al", "always", &securestore.Options{Synchronizable: true, KeychainAccessible: securestore.Always}); err != nil {
		t.Fatal(err)
	}
	rev, err := a.g.Settle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.g.WaitRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if v, err := b.get("al"); err != nil || v != "always" {
		t.Fatalf("b locked: al = %q, %v", v, err)
	}
	if _, err := b.get("wu"); !errors.Is(err, securestore.ErrNotFound) {
		t.Fatalf("b locked: wu = %v, want it absent until Unlock", err)
	}
	st, err := b.g.Status(ctx)
	if err != nil || st.Waiting != 1 {
		t.Fatalf("b locked: %d records waiting, %v; want 1", st.Waiting, err)
	}
	if err := b.store.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := b.g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := b.get("wu"); err != nil || v != secretValue {
		t.Fatalf("b unlocked: wu = %q, %v", v, err)
	}
	checkConverged(t, a, b)
}
