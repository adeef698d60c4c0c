package storage

import (
	"errors"
	"testing"
)

// A DB that only reads has no writer and one connection; the first write
// starts the writer, and after Close no write starts one again.
func TestWriterStartsWithTheFirstWrite(t *testing.T) {
	d, _ := openTemp(t)
	if _, _, err := d.Get(ctx, []byte("svc"), []byte("00000001")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before any write: %v", err)
	}
	if err := d.View(ctx, func(tx *Tx) error { _, err := tx.ClassKeys(); return err }); err != nil {
		t.Fatal(err)
	}
	if d.writer.Load() != nil {
		t.Fatal("reads started the writer")
	}
	if n := d.sql.Stats().OpenConnections; n != 1 {
		t.Fatalf("a DB that has only read holds %d connections, want 1", n)
	}
	if err := d.Put(ctx, item(1)); err != nil {
		t.Fatal(err)
	}
	w := d.writer.Load()
	if w == nil || w.commits.Load() != 1 {
		t.Fatalf("after the first Put: writer %v", w)
	}
	if err := d.Delete(ctx, []byte("svc"), []byte("00000001")); err != nil {
		t.Fatal(err)
	}
	if d.writer.Load() != w || w.commits.Load() != 2 {
		t.Fatal("the second write did not go through the same writer")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, item(2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v, want ErrClosed", err)
	}
}

// A DB closed before it ever wrote refuses writes with ErrClosed and does
// not start a writer for them.
func TestNoWriterStartsAfterClose(t *testing.T) {
	d, _ := openTemp(t)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		d.Put(ctx, item(1)),
		d.Delete(ctx, []byte("svc"), []byte("00000001")),
		d.PutIf(ctx, item(1), &Cond{}),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("write after Close: %v, want ErrClosed", err)
		}
	}
	if d.writer.Load() != nil {
		t.Fatal("a write after Close started a writer")
	}
}
