//go:build unix

package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore/internal/fsutil"
)

// The etcd password file must be private: 0644 is refused with the
// fsutil.PermissionError the store's own files get; 0600 is read.
func TestPasswordFileMustBePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if pw, err := readPasswordFile(path); err != nil || pw != "s3cret" {
		t.Fatalf("0600: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	pw, err := readPasswordFile(path)
	var perr *fsutil.PermissionError
	if !errors.As(err, &perr) || pw != "" {
		t.Fatalf("0644: got a password: %v, err %v; want a *fsutil.PermissionError", pw != "", err)
	}
}
