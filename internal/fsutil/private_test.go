package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// TestMkdirPrivateSyncsParents: every directory MkdirPrivate creates is
// synced into its parent; an existing one is not synced again.
func TestMkdirPrivateSyncsParents(t *testing.T) {
	base := t.TempDir()
	var synced []string
	syncDir = func(d string) error { synced = append(synced, d); return SyncDir(d) }
	t.Cleanup(func() { syncDir = SyncDir })
	dir := filepath.Join(base, "a", "b", "store")
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(base, "a", "b"), filepath.Join(base, "a"), base}
	if !slices.Equal(synced, want) {
		t.Fatalf("synced %q, want %q", synced, want)
	}
	synced = nil
	if err := MkdirPrivate(dir); err != nil || len(synced) != 0 {
		t.Fatalf("again: %v, synced %q", err, synced)
	}
}

// TestCheckPrivateOtherOwnerAsRoot: a file of another uid is refused even
// for root (ssh's StrictModes). It needs root to make such a file.
func TestCheckPrivateOtherOwnerAsRoot(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() != 0 {
		t.Skip("needs root on unix to give a file to another uid")
	}
	path := filepath.Join(t.TempDir(), "app.x.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 12345, 12345); err != nil {
		t.Fatal(err)
	}
	var pe *PermissionError
	if err := CheckPrivate(path); !errors.As(err, &pe) {
		t.Fatalf("root checking a file of uid 12345: %v, want a *PermissionError", err)
	}
}
