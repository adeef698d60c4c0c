package securestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore/internal/testdir"
)

// TestNoCreateCreatesNothing: with Config.NoCreate, opening and reading a
// store that does not exist leaves no directory, file or key behind, and
// says ErrNoStore (which is also ErrNotFound).
func TestNoCreateCreatesNothing(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(testdir.New(t), "stores")
	s, err := Open(ctx, Config{App: "typo", Dir: dir, Protector: "file", NoCreate: true, AccessGroups: []string{"g"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetItem(ctx, "k", nil); !errors.Is(err, ErrNoStore) || !errors.Is(err, ErrNotFound) {
		t.Errorf("GetItem: %v, want ErrNoStore and ErrNotFound", err)
	}
	if _, err := s.GetItem(ctx, "k", &Options{AccessGroup: "g"}); !errors.Is(err, ErrNoStore) {
		t.Errorf("GetItem in a group: %v, want ErrNoStore", err)
	}
	if err := s.SetItem(ctx, "k", "v", nil); !errors.Is(err, ErrNoStore) {
		t.Errorf("SetItem: %v, want ErrNoStore", err)
	}
	if err := s.Lock(); !errors.Is(err, ErrNoStore) {
		t.Errorf("Lock: %v, want ErrNoStore", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("NoCreate made %s: %v", dir, err)
	}
}

// TestNoCreateOpensExisting: NoCreate reads a store that exists.
func TestNoCreateOpensExisting(t *testing.T) {
	ctx := context.Background()
	dir := testdir.New(t)
	cfg := Config{App: "a", Dir: dir, Protector: "file"}
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetItem(ctx, "k", "v", &Options{KeychainAccessible: Always}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	cfg.NoCreate = true
	s, err = Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.GetItem(ctx, "k", nil); err != nil || v != "v" {
		t.Errorf("GetItem = %q, %v", v, err)
	}
}
