package storage

import (
	"bytes"
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"testing"
)

// markSynced gives item i a row in sync_items, as a synchronizable write
// (or another process's) does.
func markSynced(t *testing.T, d *DB, i int) {
	t.Helper()
	it := item(i)
	if err := d.Update(ctx, func(tx *Tx) error {
		return tx.PutSyncRow(&SyncRow{ID: it.ID, Svc: it.Svc, Name: it.Name, Lamport: 1, Pending: true})
	}); err != nil {
		t.Fatal(err)
	}
}

// changed is item i with another value.
func changed(i int) *Item {
	it := item(i)
	it.Value = []byte("changed")
	return it
}

// wantValue checks item i's stored value: want, or absent when want is nil.
func wantValue(t *testing.T, d *DB, i int, want []byte) {
	t.Helper()
	_, v, err := d.Get(ctx, []byte("svc"), item(i).ID)
	switch {
	case want == nil && !errors.Is(err, ErrNotFound):
		t.Errorf("item %d: value %q, %v; want none", i, v, err)
	case want != nil && (err != nil || !bytes.Equal(v, want)):
		t.Errorf("item %d: value %q, %v; want %q", i, v, err, want)
	}
}

func TestLocalWriteOfSynchronizableItem(t *testing.T) {
	d, _ := openTemp(t)
	for _, i := range []int{1, 2} {
		if err := d.Put(ctx, item(i)); err != nil {
			t.Fatal(err)
		}
		markSynced(t, d, i)
	}
	if err := d.PutLocal(ctx, changed(1), nil); !errors.Is(err, ErrSynced) {
		t.Fatalf("PutLocal of a synchronizable item: %v, want ErrSynced", err)
	}
	if err := d.DeleteLocal(ctx, []byte("svc"), item(2).ID); !errors.Is(err, ErrSynced) {
		t.Fatalf("DeleteLocal of a synchronizable item: %v, want ErrSynced", err)
	}
	// A failed generation condition is reported as that, not as ErrSynced.
	gen := &Cond{Name: "generation", Want: []byte{1}}
	if err := d.PutLocal(ctx, changed(1), gen); !errors.Is(err, ErrCondFailed) || errors.Is(err, ErrSynced) {
		t.Fatalf("PutLocal with a failing Cond: %v, want ErrCondFailed", err)
	}
	wantValue(t, d, 1, item(1).Value)
	wantValue(t, d, 2, item(2).Value)
	// Also as a fresh handle reads the file, without this one's row cache.
	d.stopCache()
	wantValue(t, d, 1, item(1).Value)
	wantValue(t, d, 2, item(2).Value)
}

func TestLocalWriteOfLocalItem(t *testing.T) {
	d, _ := openTemp(t)
	markSynced(t, d, 9) // another item's sync row changes nothing for these
	if err := d.PutLocal(ctx, item(1), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.PutLocal(ctx, item(2), &Cond{Name: "generation"}); err != nil { // absent reads as empty: holds
		t.Fatal(err)
	}
	if err := d.DeleteLocal(ctx, []byte("svc"), item(2).ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteLocal(ctx, []byte("svc"), item(3).ID); err != nil { // absent: nothing to do
		t.Fatal(err)
	}
	wantValue(t, d, 1, item(1).Value)
	wantValue(t, d, 2, nil)
	// A tombstone is a sync row too: the item stays out of plain writes
	// until its sync state is settled by the caller's transaction.
	markSynced(t, d, 1)
	if err := d.Update(ctx, func(tx *Tx) error {
		r, err := tx.SyncRow(item(1).ID)
		if err != nil {
			return err
		}
		r.Deleted = true
		return tx.PutSyncRow(&r)
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.PutLocal(ctx, changed(1), nil); !errors.Is(err, ErrSynced) {
		t.Fatalf("PutLocal over a tombstone: %v, want ErrSynced", err)
	}
}

// TestLocalWritesInOneBatch queues local writes of synchronizable and of
// local items behind a held write lock, so that they share one commit:
// the synchronizable ones are left out with ErrSynced, the rest commit,
// and the row cache carried over the commit holds what the file holds.
func TestLocalWritesInOneBatch(t *testing.T) {
	d, path := openTemp(t)
	for i := range 6 {
		if err := d.Put(ctx, item(i)); err != nil {
			t.Fatal(err)
		}
	}
	markSynced(t, d, 1)
	markSynced(t, d, 3)
	for i := range 6 {
		wantValue(t, d, i, item(i).Value) // fills the row cache
	}
	if d.cache.Load() == nil {
		t.Fatal("no row cache: the test would not check that the commit carries it over")
	}

	other, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	// Rolled back, not committed (below): the wal-index header stays as
	// the row cache read it, so that the writer's commits carry it over.
	if _, err := lock.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('lock', x'00')`); err != nil {
		t.Fatal(err)
	}
	w := d.writer.Load()
	taken, commits := w.taken.Load(), w.commits.Load()

	writes := []func() error{
		// The first is taken alone and waits for the lock; the rest
		// queue behind it.
		func() error { return d.Put(ctx, changed(5)) },
		func() error { return d.PutLocal(ctx, changed(0), nil) },
		func() error { return d.PutLocal(ctx, changed(1), nil) },
		func() error { return d.DeleteLocal(ctx, []byte("svc"), item(2).ID) },
		func() error { return d.DeleteLocal(ctx, []byte("svc"), item(3).ID) },
		func() error { return d.PutLocal(ctx, changed(4), &Cond{Name: "generation", Want: []byte{1}}) },
	}
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = writes[0]() })
	for w.taken.Load() != taken+1 {
		runtime.Gosched()
	}
	for i := 1; i < len(writes); i++ {
		wg.Go(func() { errs[i] = writes[i]() })
	}
	for len(w.ops) != len(writes)-1 {
		runtime.Gosched()
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := w.commits.Load() - commits; got != 2 {
		t.Fatalf("the writes took %d commits, want 2 (the first alone, then the queued ones together)", got)
	}
	want := []error{nil, nil, ErrSynced, nil, ErrSynced, ErrCondFailed}
	for i, err := range errs {
		if !errors.Is(err, want[i]) || (want[i] == nil && err != nil) {
			t.Errorf("write %d: %v, want %v", i, err, want[i])
		}
	}
	check := func() {
		t.Helper()
		wantValue(t, d, 0, []byte("changed"))
		wantValue(t, d, 1, item(1).Value)
		wantValue(t, d, 2, nil)
		wantValue(t, d, 3, item(3).Value)
		wantValue(t, d, 4, item(4).Value)
		wantValue(t, d, 5, []byte("changed"))
	}
	c := d.cache.Load()
	if now, ok := c.header(); !ok || now != c.ver || len(c.rows) == 0 {
		t.Fatal("the commits did not carry the row cache over: the test does not check it")
	}
	check() // through the row cache
	d.stopCache()
	check() // through SQLite
}

// TestCondInWriter: the writer's one-statement check of a Cond, alone and
// together with the sync-row check.
func TestCondInWriter(t *testing.T) {
	d, _ := openTemp(t)
	if err := d.Update(ctx, func(tx *Tx) error { return tx.SetMeta("generation", []byte{2}) }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		want  []byte
		local bool
		err   error
	}{
		{[]byte{2}, false, nil},
		{[]byte{2}, true, nil},
		{[]byte{1}, false, ErrCondFailed},
		{[]byte{1}, true, ErrCondFailed},
		{nil, false, ErrCondFailed}, // present: does not read as empty
		{[]byte{2, 0}, true, ErrCondFailed},
	} {
		it := changed(1)
		it.Value = append([]byte("value"), c.want...)
		put := d.PutIf
		if c.local {
			put = d.PutLocal
		}
		err := put(ctx, it, &Cond{Name: "generation", Want: c.want})
		if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
			t.Fatalf("Cond want %x (local %v): %v, want %v", c.want, c.local, err, c.err)
		}
		if c.err == nil {
			wantValue(t, d, 1, it.Value)
		} else {
			wantValue(t, d, 1, append([]byte("value"), 2))
		}
	}
	// An item with a sync row and a failing Cond: ErrCondFailed, checked first.
	markSynced(t, d, 1)
	if err := d.PutLocal(ctx, changed(1), &Cond{Name: "generation", Want: []byte{2}}); !errors.Is(err, ErrSynced) {
		t.Fatalf("PutLocal of a synchronizable item with a holding Cond: %v, want ErrSynced", err)
	}
	if err := d.PutLocal(ctx, changed(1), &Cond{Name: "generation", Want: []byte{3}}); !errors.Is(err, ErrCondFailed) {
		t.Fatalf("PutLocal of a synchronizable item with a failing Cond: %v, want ErrCondFailed", err)
	}
	wantValue(t, d, 1, append([]byte("value"), 2))
}
