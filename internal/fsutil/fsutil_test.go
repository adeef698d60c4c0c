package fsutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCreateOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.key")
	created, err := CreateOnce(path, []byte("first"))
	if err != nil || !created {
		t.Fatalf("CreateOnce = %v, %v", created, err)
	}
	created, err = CreateOnce(path, []byte("second"))
	if err != nil || created {
		t.Fatalf("second CreateOnce = %v, %v; want false, nil", created, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Fatalf("content %q: CreateOnce replaced an existing file", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".tmp-*")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.key")
	stale := filepath.Join(dir, tempPrefix(path)+"123")
	fresh := filepath.Join(dir, tempPrefix(path)+"456")
	other := filepath.Join(dir, ".tmp-other.key-789")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	RemoveStaleTemps(path, time.Minute)
	for p, want := range map[string]bool{stale: false, fresh: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists = %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}
