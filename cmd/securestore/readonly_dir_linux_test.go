package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// mountReadOnly makes dir read-only for everyone, root included (whom
// modes do not stop): it bind-mounts dir on itself and remounts the bind
// read-only, and unmounts it when the test ends. Without the right to
// mount, the test skips, or fails under SECURESTORE_REQUIRE_SERVICES=1.
func mountReadOnly(t *testing.T, dir string) {
	t.Helper()
	why := "mounting needs root"
	if os.Geteuid() == 0 {
		err := unix.Mount(dir, dir, "", unix.MS_BIND, "")
		if err == nil {
			t.Cleanup(func() {
				if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
					t.Errorf("unmount %s: %v", dir, err)
				}
			})
			err = unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
		}
		if err == nil {
			return
		}
		why = "mount: " + err.Error()
	}
	servicetest.Missing(t, "a read-only bind mount", why, "go test as root where mount(2) is allowed")
}

// TestReadOnlyStoreDir checks the message of a store directory that
// cannot be written: not SQLite's raw "unable to open database file (14)"
// or "attempt to write a readonly database (1544)", but what is wrong and
// the flag that fixes it, with exit status 4 (a failure, not a usage error).
func TestReadOnlyStoreDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	t.Setenv("SECURESTORE_DIR", dir)
	t.Setenv("SECURESTORE_PROTECTOR", "file")
	t.Setenv(EnvApp, "")
	var stdout, stderr bytes.Buffer
	if rc := run([]string{"set", "k"}, strings.NewReader("v"), &stdout, &stderr); rc != 0 {
		t.Fatalf("set: rc %d: %s", rc, stderr.String())
	}
	mountReadOnly(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o600); err == nil {
		t.Fatalf("the read-only mount of %s takes a new file", dir)
	}

	const want = "securestore: the store directory is read-only for this user (give a writable one with --dir DIR or $SECURESTORE_DIR): "
	for _, args := range [][]string{
		{"set", "k2"},                  // the store exists
		{"get", "k"},                   // WAL mode needs the -shm file even to read
		{"--app", "other", "set", "k"}, // a new store
	} {
		stderr.Reset()
		rc := run(args, strings.NewReader("v"), &stdout, &stderr)
		if rc != exitFailure || !strings.HasPrefix(stderr.String(), want) {
			t.Errorf("securestore %s in a read-only directory: rc %d, stderr %q; want %d and %q…",
				strings.Join(args, " "), rc, stderr.String(), exitFailure, want)
		}
	}
}
