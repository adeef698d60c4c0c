// Package testdir gives tests a temporary directory that is removed when
// the test ends, like testing.T.TempDir, but removed file by file.
//
// testing.T.TempDir removes with os.RemoveAll, which on Windows (since Go
// 1.24) deletes through FileDispositionInformationEx; Wine 8 answers that
// with "Invalid function", so every test using TempDir fails at cleanup
// there, and CI runs the Windows tests under Wine (.ci/with-wine). os.Remove
// of one file or empty directory uses DeleteFile and RemoveDirectory, which
// Wine has.
package testdir

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// New creates a fresh directory and removes it, with everything in it,
// when t and its subtests have finished. Cleanup functions registered
// after New (such as closing a store whose files are inside) run first.
func New(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "securestore-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := remove(dir); err != nil {
			t.Errorf("remove the test directory: %v", err)
		}
	})
	return dir
}

// remove deletes dir and everything below it, deepest first.
func remove(dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		return err
	}
	// WalkDir visits a directory before its contents: reversed, every
	// entry comes before its parent.
	for _, p := range slices.Backward(paths) {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}
