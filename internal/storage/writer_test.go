package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// valueItem is item i with the given value and a class that varies with i.
func valueItem(i int, value string) *Item {
	return &Item{
		ID:    fmt.Appendf(nil, "%08d-id", i), // distinct first 8 bytes: the slot
		Svc:   []byte("svc"),
		Class: uint8(i % 7),
		Name:  fmt.Appendf(nil, "name-%04d", i),
		Value: []byte(value),
	}
}

// TestWriterConcurrent puts, overwrites and deletes from many goroutines at
// once (so that commits batch), then checks every outcome, also after a
// reopen.
func TestWriterConcurrent(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := db.Put(ctx, valueItem(i, "first")); err != nil {
				t.Error(err)
				return
			}
			switch i % 3 {
			case 1:
				if err := db.Put(ctx, valueItem(i, "second")); err != nil {
					t.Error(err)
				}
			case 2:
				if err := db.Delete(ctx, []byte("svc"), valueItem(i, "").ID); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	check := func(db *DB) {
		t.Helper()
		for i := range n {
			class, value, err := db.Get(ctx, []byte("svc"), valueItem(i, "").ID)
			switch i % 3 {
			case 0, 1:
				want := map[int]string{0: "first", 1: "second"}[i%3]
				if err != nil || string(value) != want || class != uint8(i%7) {
					t.Fatalf("item %d: class %d value %q err %v, want %q", i, class, value, err, want)
				}
			case 2:
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("deleted item %d: err %v", i, err)
				}
			}
		}
		named, err := db.listService(ctx, []byte("svc"))
		if err != nil || len(named) != n-n/3 {
			t.Fatalf("ListService: %d rows, %v; want %d", len(named), err, n-n/3)
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(db)
}

// TestWriterFailedBatch makes a commit fail (a NULL value breaks a NOT NULL
// constraint) and checks that the failure leaves no transaction open: the
// failed write is absent and the next writes commit.
func TestWriterFailedBatch(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	defer db.Close()
	if err := db.Put(ctx, valueItem(1, "kept")); err != nil {
		t.Fatal(err)
	}
	bad := valueItem(2, "")
	bad.Value = nil
	if err := db.Put(ctx, bad); err == nil {
		t.Fatal("a NULL value was stored")
	}
	if _, _, err := db.Get(ctx, []byte("svc"), bad.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("failed put left a row: %v", err)
	}
	if err := db.Put(ctx, valueItem(3, "after")); err != nil {
		t.Fatalf("put after a failed batch: %v", err)
	}
	for i, want := range map[int]string{1: "kept", 3: "after"} {
		if _, v, err := db.Get(ctx, []byte("svc"), valueItem(i, "").ID); err != nil || !bytes.Equal(v, []byte(want)) {
			t.Fatalf("item %d: %q, %v", i, v, err)
		}
	}
}
