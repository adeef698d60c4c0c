package storage

import (
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func putAll(t *testing.T, d *DB, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := d.Put(ctx, item(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func getProven(d *DB, i int) error {
	it := item(i)
	_, _, err := d.GetProven(ctx, it.Svc, it.ID)
	return err
}

func proofCounts(d *DB) (walks, cached int) {
	d.proof.mu.Lock()
	defer d.proof.mu.Unlock()
	return d.proof.walks, d.proof.cached
}

// A miss walks the table once; later misses with no commit in between
// are answered from the kept list.
func TestMissProofKeptWhileUnchanged(t *testing.T) {
	d, _ := openTemp(t)
	putAll(t, d, 0, 50)
	for i := 100; i < 110; i++ {
		if err := getProven(d, i); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetProven of absent item %d: %v", i, err)
		}
	}
	if w, c := proofCounts(d); w != 1 || c != 9 {
		t.Fatalf("10 misses of an unchanged store: %d walks, %d answered from the kept list; want 1 and 9", w, c)
	}
}

// Every commit, by this DB's writer or by another connection (another
// DB on the file, as another process would be), makes the next miss walk
// again: a list kept from before a delete would hold the deleted item's
// slot and make its miss read as damage (ErrCorrupt), and one from
// before a put would hide nothing (the search finds the row first), but
// is stale all the same.
func TestMissProofRenewedByCommits(t *testing.T) {
	d, path := openTemp(t)
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	putAll(t, d, 0, 20)
	if err := getProven(d, 100); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	for _, w := range []struct {
		name string
		db   *DB
	}{{"this DB", d}, {"another connection", other}} {
		victim := 5
		if w.db == other {
			victim = 6
		}
		it := item(victim)
		if err := w.db.Delete(ctx, it.Svc, it.ID); err != nil {
			t.Fatal(err)
		}
		if err := getProven(d, victim); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after a delete by %s: GetProven of the deleted item: %v, want ErrNotFound", w.name, err)
		}
		if err := w.db.Put(ctx, item(200+victim)); err != nil {
			t.Fatal(err)
		}
		if err := getProven(d, 200+victim); err != nil {
			t.Fatalf("after a put by %s: GetProven of the new item: %v", w.name, err)
		}
	}
	if w, _ := proofCounts(d); w != 3 {
		t.Fatalf("%d walks, want 3 (one per version of the database that saw a miss)", w)
	}
}

// A slot the kept list holds but the search does not find is damage to
// the b-tree's search structure: ErrCorrupt, whether the list is fresh or
// kept. Here the list is given the slot by hand, as a walk would have.
func TestMissProofKeptListStillCatchesMissedRows(t *testing.T) {
	d, _ := openTemp(t)
	putAll(t, d, 0, 10)
	if err := getProven(d, 100); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	ghost, _ := slotOf("", item(101).ID)
	d.proof.mu.Lock()
	i, _ := slices.BinarySearch(d.proof.slots, ghost)
	d.proof.slots = slices.Insert(d.proof.slots, i, ghost)
	d.proof.mu.Unlock()
	if err := getProven(d, 101); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a slot in the proof but not found by the search: %v, want ErrCorrupt", err)
	}
	if err := getProven(d, 102); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a slot in neither: %v, want ErrNotFound", err)
	}
}

// Reads racing Close either finish or fail with ErrClosed; none hangs,
// none reads the row cache's mapping of the -shm after Close unmapped it
// (a crash), and every read after Close fails with ErrClosed.
func TestReadersClose(t *testing.T) {
	for range 10 {
		readersClose(t)
	}
}

func readersClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	putAll(t, d, 0, 5)
	for i := range 5 {
		getProven(d, i) // into the row cache
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				it := item((g + i) % 7)
				_, _, err := d.GetProven(ctx, it.Svc, it.ID)
				if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrClosed) {
					t.Errorf("read during Close: %v", err)
					return
				}
			}
		})
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	it := item(1)
	if _, _, err := d.Get(ctx, it.Svc, it.ID); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
	if _, _, err := d.GetProven(ctx, it.Svc, item(9).ID); !errors.Is(err, ErrClosed) {
		t.Fatalf("GetProven after Close: %v, want ErrClosed", err)
	}
}
