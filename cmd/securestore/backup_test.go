package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestCreateExport checks the export file's life: created 0600 and never
// over an existing file without force; removed when the export fails.
func TestCreateExport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backup.age")

	out, err := createExport(path, false)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(out.w, "half an export")
	checkMode(t, path)
	out.abort()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after abort, Lstat = %v; want the partial file removed", err)
	}

	out, err = createExport(path, false)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(out.w, "old export")
	if err := out.commit(); err != nil {
		t.Fatal(err)
	}
	var usage *usageError
	if _, err := createExport(path, false); !errors.As(err, &usage) {
		t.Fatalf("createExport over an existing file = %v; want a usage error", err)
	}
	checkContent(t, path, "old export")
}

// TestCreateExportForce checks that --force keeps the old export whole
// until the new one is complete, and leaves no temporary file behind.
func TestCreateExportForce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.age")
	if err := os.WriteFile(path, []byte("old export"), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := createExport(path, true)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(out.w, "half a new export")
	checkContent(t, path, "old export")
	out.abort()
	checkContent(t, path, "old export")
	checkOnlyFile(t, dir)

	out, err = createExport(path, true)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(out.w, "new export")
	if err := out.commit(); err != nil {
		t.Fatal(err)
	}
	checkContent(t, path, "new export")
	checkMode(t, path) // the new file's mode, not the old 0644
	checkOnlyFile(t, dir)
}

func checkMode(t *testing.T, path string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return // no Unix modes
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %#o; want 0600", path, fi.Mode().Perm())
	}
}

func checkContent(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s holds %q, %v; want %q", path, got, err, want)
	}
}

func checkOnlyFile(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %q; want only the export", dir, names)
	}
}
