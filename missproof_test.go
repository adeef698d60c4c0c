package securestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/securestore-go/securestore"
)

func init() { helperModes["missproof-writer"] = helperMissProofWriter }

func missProofConfig(dir string) securestore.Config {
	return securestore.Config{App: "missproof", Dir: dir, Protector: "file"}
}

// helperMissProofWriter: args dir. It deletes "a", sets "c", and exits.
func helperMissProofWriter(args []string) int {
	ctx := context.Background()
	s, err := securestore.Open(ctx, missProofConfig(args[0]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err = errors.Join(s.DeleteItem(ctx, "a", nil), s.SetItem(ctx, "c", "value c", nil), s.Close())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// A miss is proven by a walk of the table whose result is kept until the
// database changes (internal/storage/proof.go). A write by another process
// must end that: a kept proof from before it would still hold the item
// that process deleted, and make its miss read as damage (ErrCorrupt).
func TestMissProofAfterAnotherProcessWrites(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir() + "/store"
	s, err := securestore.Open(ctx, missProofConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, k := range []string{"a", "b"} {
		if err := s.SetItem(ctx, k, "value "+k, nil); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // the second miss is answered from the kept proof
		if _, err := s.GetItem(ctx, "absent", nil); !errors.Is(err, securestore.ErrNotFound) {
			t.Fatalf("GetItem of an absent key: %v, want ErrNotFound", err)
		}
	}
	h := helperStart(t, "missproof-writer", dir)
	if err := h.wait(); err != nil {
		t.Fatalf("writer process: %v\nstderr:\n%s", err, h.stderr)
	}
	if _, err := s.GetItem(ctx, "a", nil); !errors.Is(err, securestore.ErrNotFound) {
		t.Fatalf("GetItem of the item another process deleted: %v, want ErrNotFound", err)
	}
	if ok, err := s.HasItem(ctx, "a", nil); ok || err != nil {
		t.Fatalf("HasItem of the item another process deleted: %v, %v; want false, nil", ok, err)
	}
	if v, err := s.GetItem(ctx, "c", nil); err != nil || v != "value c" {
		t.Fatalf("GetItem of the item another process set: %q, %v", v, err)
	}
	if _, err := s.GetItem(ctx, "absent", nil); !errors.Is(err, securestore.ErrNotFound) {
		t.Fatalf("GetItem of an absent key after the writes: %v, want ErrNotFound", err)
	}
}
