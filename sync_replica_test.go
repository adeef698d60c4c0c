package securestore

import (
	"database/sql"
	"errors"
	"math"
	"testing"

	"github.com/securestore-go/securestore/internal/testdir"
)

// The local side of synchronizable items: the flag's validation, the sync
// row written with the item, tombstones, and the conflict rule of Apply.

func openSyncTest(t *testing.T) (*Store, *SyncReplica) {
	t.Helper()
	s, err := Open(bg, Config{App: "a", Dir: testdir.New(t), Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r, err := s.SyncReplica(bg, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetDevice(bg, "dev-a"); err != nil {
		t.Fatal(err)
	}
	return s, r
}

var syncOpts = &Options{Synchronizable: true}

func TestSynchronizableThisDeviceOnlyIsInvalid(t *testing.T) {
	s, r := openSyncTest(t)
	for c := Accessibility(0); c < numClasses; c++ {
		err := s.SetItem(bg, "k", "v", &Options{KeychainAccessible: c, Synchronizable: true})
		if c.ThisDeviceOnly() != errors.Is(err, ErrInvalidOption) {
			t.Errorf("%v synchronizable: %v", c, err)
		}
	}
	if err := s.SetItem(bg, "local", "v", &Options{KeychainAccessible: AlwaysThisDeviceOnly}); err != nil {
		t.Fatal(err)
	}
	all, err := r.Synchronizable(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Key != "k" {
		t.Fatalf("synchronizable items = %+v, want only k", all)
	}
}

func TestSynchronizableLifecycle(t *testing.T) {
	s, r := openSyncTest(t)
	if err := s.SetItem(bg, "k", "v1", syncOpts); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetItem(bg, "k", nil); err != nil || v != "v1" {
		t.Fatalf("GetItem = %q, %v", v, err)
	}
	p, locked, err := r.Pending(bg)
	if err != nil || locked != 0 || len(p) != 1 || string(p[0].Value) != "v1" || p[0].Device != "dev-a" || p[0].Deleted {
		t.Fatalf("Pending = %+v, %d, %v", p, locked, err)
	}
	if err := r.Pushed(bg, &p[0], 7); err != nil {
		t.Fatal(err)
	}
	if st, err := r.State(bg, DefaultService, "k"); err != nil || st.Pending || st.Rev != 7 {
		t.Fatalf("after Pushed: %+v, %v", st, err)
	}
	if err := s.DeleteItem(bg, "k", nil); err != nil {
		t.Fatal(err)
	}
	st, err := r.State(bg, DefaultService, "k")
	if err != nil || !st.Deleted || !st.Pending || st.Lamport <= p[0].Lamport {
		t.Fatalf("after delete: %+v, %v", st, err)
	}
	if _, err := s.GetItem(bg, "k", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetItem after delete = %v", err)
	}

	// A plain write over a synchronizable item takes it out of the group:
	// a pending tombstone, the item local.
	if err := s.SetItem(bg, "m", "x", syncOpts); err != nil {
		t.Fatal(err)
	}
	if err := s.SetItem(bg, "m", "y", nil); err != nil {
		t.Fatal(err)
	}
	if st, err := r.State(bg, DefaultService, "m"); err != nil || !st.Deleted || !st.Pending {
		t.Fatalf("after a plain write: %+v, %v", st, err)
	}
	if v, err := s.GetItem(bg, "m", nil); err != nil || v != "y" {
		t.Fatalf("GetItem m = %q, %v", v, err)
	}
}

func TestSyncApplyConflictRule(t *testing.T) {
	s, r := openSyncTest(t)
	if err := s.SetItem(bg, "k", "local", syncOpts); err != nil {
		t.Fatal(err)
	}
	st, _ := r.State(bg, DefaultService, "k")
	// A remote change with a lower version loses to the pending local one.
	lose := &SyncChange{Service: DefaultService, Key: "k", Value: []byte("old"), Lamport: st.Lamport - 1, Device: "dev-z", Rev: 10}
	if err := apply1(r, lose); err != nil {
		t.Fatalf("Apply lower = %v", err)
	}
	if st2, _ := r.State(bg, DefaultService, "k"); !st2.Pending || st2.Rev != 10 {
		t.Fatalf("the local change must stay pending against rev 10: %+v", st2)
	}
	// Same Lamport, higher device id: the remote wins.
	win := &SyncChange{Service: DefaultService, Key: "k", Value: []byte("remote"), Lamport: st.Lamport, Device: "dev-z", Rev: 11}
	if err := apply1(r, win); err != nil {
		t.Fatalf("Apply higher = %v", err)
	}
	if v, _ := s.GetItem(bg, "k", nil); v != "remote" {
		t.Fatalf("GetItem = %q, want remote", v)
	}
	// A replay of the losing record at a newer revision: typed error, no change.
	lose.Rev = 12
	if err := apply1(r, lose); !errors.Is(err, ErrStaleChange) {
		t.Fatalf("replay = %v, want ErrStaleChange", err)
	}
	if v, _ := s.GetItem(bg, "k", nil); v != "remote" {
		t.Fatalf("GetItem after replay = %q", v)
	}
	// A local write after applying is versioned above what it saw.
	if err := s.SetItem(bg, "k", "mine", syncOpts); err != nil {
		t.Fatal(err)
	}
	if st3, _ := r.State(bg, DefaultService, "k"); st3.Lamport <= win.Lamport || st3.Device != "dev-a" {
		t.Fatalf("local version after a remote one: %+v", st3)
	}
	// ThisDeviceOnly never arrives.
	bad := &SyncChange{Service: DefaultService, Key: "x", Class: AlwaysThisDeviceOnly, Value: []byte("v"), Lamport: 99, Device: "dev-z", Rev: 13}
	if err := apply1(r, bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ThisDeviceOnly change = %v", err)
	}
}

// apply1 applies one change and returns why it was not applied, or the
// batch's error.
func apply1(r *SyncReplica, ch *SyncChange) error {
	errs, err := r.Apply(bg, []*SyncChange{ch})
	if err != nil {
		return err
	}
	return errs[0]
}

// A forged version at 2^64-1 (or far past the clock) would make the clock
// wrap to 0 and the item unchangeable: Apply refuses it as a bad record,
// changes nothing, and the item still takes honest versions afterwards.
func TestApplyRefusesVersionPastTheClockBound(t *testing.T) {
	s, r := openSyncTest(t)
	if err := apply1(r, &SyncChange{Service: DefaultService, Key: "k", Value: []byte("v1"), Lamport: 5, Device: "dev-z", Rev: 10}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []uint64{math.MaxUint64, 6 + maxClockJump + 1, math.MaxUint64 - maxClockJump} { // the clock is 6 after version 5
		err := apply1(r, &SyncChange{Service: DefaultService, Key: "k", Value: []byte("evil"), Lamport: l, Device: "dev-z", Rev: 11})
		if !errors.Is(err, ErrBadSyncRecord) {
			t.Fatalf("version %d: %v, want ErrBadSyncRecord", l, err)
		}
		if v, err := s.GetItem(bg, "k", nil); err != nil || v != "v1" {
			t.Fatalf("after version %d: GetItem = %q, %v; want v1", l, v, err)
		}
	}
	if err := s.SetItem(bg, "k", "v2", syncOpts); err != nil {
		t.Fatal(err)
	}
	st, err := r.State(bg, DefaultService, "k")
	if err != nil || st.Lamport != 7 {
		t.Fatalf("local write after the refusals: version %d, %v; want 7", st.Lamport, err)
	}
	if err := apply1(r, &SyncChange{Service: DefaultService, Key: "k", Value: []byte("v3"), Lamport: 7 + maxClockJump, Device: "dev-z", Rev: 12}); err != nil {
		t.Fatalf("a version at the bound: %v", err)
	}
	if v, _ := s.GetItem(bg, "k", nil); v != "v3" {
		t.Fatalf("GetItem = %q, want v3", v)
	}
}

// PendingCount counts without opening values: a pending change whose value
// no longer authenticates is counted, where Pending, which opens values
// for a push, reports the damage.
func TestPendingCountOpensNoValue(t *testing.T) {
	s, r := openSyncTest(t)
	for _, k := range []string{"a", "b"} {
		if err := s.SetItem(bg, k, "v", syncOpts); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteItem(bg, "b", nil); err != nil { // a pending tombstone
		t.Fatal(err)
	}
	if n, locked, err := r.PendingCount(bg); err != nil || n != 2 || locked != 0 {
		t.Fatalf("PendingCount = %d, %d, %v; want 2, 0", n, locked, err)
	}
	v, err := s.storeFor(bg, "")
	if err != nil {
		t.Fatal(err)
	}
	damageValue(t, v, "a")
	if _, _, err := r.Pending(bg); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Pending with a damaged value: %v, want ErrCorrupt (else this test proves nothing)", err)
	}
	if n, locked, err := r.PendingCount(bg); err != nil || n != 2 || locked != 0 {
		t.Fatalf("PendingCount with a damaged value = %d, %d, %v; want 2, 0", n, locked, err)
	}
}

// damageValue flips a byte in the middle of the stored value of (the
// default service, key), through a connection of its own, as an attacker
// with the file would.
func damageValue(t *testing.T, v *storeDB, key string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+v.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id := v.meta.ItemID(DefaultService, key)
	var value []byte
	if err := db.QueryRow(`SELECT value FROM items WHERE id = ?`, id).Scan(&value); err != nil {
		t.Fatal(err)
	}
	value[len(value)/2] ^= 0x40
	if _, err := db.Exec(`UPDATE items SET value = ? WHERE id = ?`, value, id); err != nil {
		t.Fatal(err)
	}
}
