package storage

import (
	"bytes"
	"errors"
	"testing"
)

// TestShortLived: a short-lived process reads and writes as any other,
// proves misses, and sets up neither reader connections nor a row cache.
func TestShortLived(t *testing.T) {
	SetShortLived()
	t.Cleanup(func() { shortLived.Store(false) })
	d, _ := openTemp(t)
	if d.readers != nil || d.proof != nil {
		t.Fatal("a short-lived Open set up reader connections")
	}
	svc, id := []byte("svc"), []byte("00000001")
	if _, _, err := d.GetProven(ctx, svc, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetProven before Put: %v", err)
	}
	if err := d.Put(ctx, item(1)); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() (uint8, []byte, error){
		func() (uint8, []byte, error) { return d.Get(ctx, svc, id) },
		func() (uint8, []byte, error) { return d.GetProven(ctx, svc, id) },
	} {
		class, v, err := get()
		if err != nil || class != 1 || !bytes.Equal(v, item(1).Value) {
			t.Fatalf("Get = %d %q %v", class, v, err)
		}
	}
	if d.cache.Load() != nil {
		t.Fatal("a short-lived DB started its row cache")
	}
	if _, _, err := d.GetProven(ctx, svc, []byte("00000002")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetProven of a missing item: %v", err)
	}
}
