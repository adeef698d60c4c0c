package securestore

import (
	"errors"
	"sync"
	"testing"

	"github.com/securestore-go/securestore/internal/testdir"
)

// Plain writes of synchronizable items: set and delete find a sync row
// inside their own commit (storage.PutLocal, DeleteLocal), not with a
// read before it, so that an item made synchronizable by another handle
// or process just before the commit still leaves its group a tombstone.

// openTwoHandles opens two handles on one app's store, as two processes
// would: a, with a sync replica whose device is set, and b.
func openTwoHandles(t *testing.T) (a, b *Store, r *SyncReplica) {
	t.Helper()
	dir := testdir.New(t)
	for _, s := range []**Store{&a, &b} {
		var err error
		if *s, err = Open(bg, Config{App: "a", Dir: dir, Protector: "file"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { (*s).Close() })
	}
	r, err := a.SyncReplica(bg, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetDevice(bg, "dev-a"); err != nil {
		t.Fatal(err)
	}
	return a, b, r
}

// syncedByOther makes a's next plain write of key race a synchronizable
// write of it by b: b commits between a's sealing and a's commit, once.
func syncedByOther(t *testing.T, a, b *Store, key string) {
	var once sync.Once
	a.own.beforeWriteForTest = func() {
		once.Do(func() {
			if err := b.SetItem(bg, key, "theirs", syncOpts); err != nil {
				t.Errorf("the other handle's synchronizable write: %v", err)
			}
		})
	}
	t.Cleanup(func() { a.own.beforeWriteForTest = nil })
}

func TestPlainSetRacingSynchronizable(t *testing.T) {
	// WhenUnlocked writes with the generation's condition as well (a
	// passcode protects it once set); Always with the sync-row one alone.
	for _, class := range []Accessibility{WhenUnlocked, Always} {
		t.Run(class.String(), func(t *testing.T) {
			a, b, r := openTwoHandles(t)
			opts := &Options{KeychainAccessible: class}
			if err := a.SetItem(bg, "k", "local", opts); err != nil {
				t.Fatal(err)
			}
			syncedByOther(t, a, b, "k")
			if err := a.SetItem(bg, "k", "mine", opts); err != nil {
				t.Fatal(err)
			}
			// The item is a's, local; the group gets a tombstone for it.
			st, err := r.State(bg, DefaultService, "k")
			if err != nil || !st.Deleted || !st.Pending {
				t.Fatalf("sync state after a plain write over an item made synchronizable by another handle: %+v, %v; want a pending tombstone", st, err)
			}
			for _, s := range []*Store{a, b} {
				if v, err := s.GetItem(bg, "k", nil); err != nil || v != "mine" {
					t.Fatalf("GetItem = %q, %v; want mine", v, err)
				}
			}
			if n := a.own.syncReads.Load(); n != 0 {
				t.Fatalf("%d reads of the sync state outside the write's commit, want none", n)
			}
		})
	}
}

func TestPlainDeleteRacingSynchronizable(t *testing.T) {
	a, b, r := openTwoHandles(t)
	syncedByOther(t, a, b, "k") // the item does not exist yet when a deletes it
	if err := a.DeleteItem(bg, "k", nil); err != nil {
		t.Fatal(err)
	}
	st, err := r.State(bg, DefaultService, "k")
	if err != nil || !st.Deleted || !st.Pending {
		t.Fatalf("sync state after a delete of an item made synchronizable by another handle: %+v, %v; want a pending tombstone", st, err)
	}
	for _, s := range []*Store{a, b} {
		if _, err := s.GetItem(bg, "k", nil); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetItem after the delete = %v, want ErrNotFound", err)
		}
	}
}

// TestPlainWritesReadNoSyncState: plain writes of items that were never
// synchronizable, of every class (those a passcode protects write with
// the generation's condition too), make no read of their own before the
// write, and stay out of sync_items.
func TestPlainWritesReadNoSyncState(t *testing.T) {
	a, _, r := openTwoHandles(t)
	for c := Accessibility(0); c < numClasses; c++ {
		if c == WhenPasscodeSetThisDeviceOnly {
			continue // exists only while a passcode is set
		}
		opts := &Options{KeychainAccessible: c}
		if err := a.SetItem(bg, "k", "v1", opts); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if err := a.SetItem(bg, "k", "v2", opts); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if v, err := a.GetItem(bg, "k", opts); err != nil || v != "v2" {
			t.Fatalf("%v: GetItem = %q, %v", c, v, err)
		}
		if err := a.DeleteItem(bg, "k", opts); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if err := a.DeleteItem(bg, "k", opts); err != nil { // absent: succeeds
			t.Fatalf("%v: %v", c, err)
		}
	}
	if n := a.own.syncReads.Load(); n != 0 {
		t.Fatalf("%d reads of the sync state before plain writes, want none", n)
	}
	if all, err := r.Synchronizable(bg); err != nil || len(all) != 0 {
		t.Fatalf("synchronizable items = %+v, %v; want none", all, err)
	}
}

// TestPlainDeleteOfSynchronizable: the fallback of a plain delete leaves
// a tombstone, also when the item was synchronizable all along.
func TestPlainDeleteOfSynchronizable(t *testing.T) {
	a, b, r := openTwoHandles(t)
	if err := b.SetItem(bg, "k", "theirs", syncOpts); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteItem(bg, "k", nil); err != nil {
		t.Fatal(err)
	}
	if st, err := r.State(bg, DefaultService, "k"); err != nil || !st.Deleted || !st.Pending {
		t.Fatalf("sync state after a plain delete: %+v, %v; want a pending tombstone", st, err)
	}
	// Deleting it again changes nothing and succeeds.
	st, _ := r.State(bg, DefaultService, "k")
	if err := a.DeleteItem(bg, "k", nil); err != nil {
		t.Fatal(err)
	}
	if st2, err := r.State(bg, DefaultService, "k"); err != nil || st2 != st {
		t.Fatalf("a second delete changed the tombstone: %+v → %+v, %v", st, st2, err)
	}
}
