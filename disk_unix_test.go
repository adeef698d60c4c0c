//go:build unix

package securestore_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/protector/file"
)

// diskModes checks that dir is 0700 and every file in it 0600, and that
// the files named in want exist.
func diskModes(t *testing.T, when, dir string, want ...string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("%s: the store directory has mode %04o, want 0700", when, perm)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 || !fi.Mode().IsRegular() {
			t.Errorf("%s: %s has mode %v, want -rw-------", when, e.Name(), fi.Mode())
		}
		have = append(have, e.Name())
	}
	for _, f := range want {
		if !slices.Contains(have, f) {
			t.Errorf("%s: %s is missing (files: %v)", when, f, have)
		}
	}
}

// TestDiskModes creates a store with the process umask at 0, so that only
// the modes the library asks for count: the directory must be 0700 and
// every file in it (databases, WALs, shared-memory files, key file) 0600,
// while open, after Close and after reopening. It changes the process's
// umask, so it must not run in parallel with other tests.
func TestDiskModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := t.Context()
	dir := t.TempDir() + "/store"
	open := []string{"app.disk.db", "app.disk.db-wal", "app.disk.db-shm",
		"group.diskgroup.db", "group.diskgroup.db-wal", "group.diskgroup.db-shm", file.KeyFileName}
	for i, when := range []string{"created", "reopened"} {
		s, err := securestore.Open(ctx, diskConfig(dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, group := range []string{"", diskGroup} {
			if err := s.SetItem(ctx, fmt.Sprintf("k%d", i), "v", &securestore.Options{AccessGroup: group}); err != nil {
				t.Fatal(err)
			}
		}
		diskModes(t, when+", open", dir, open...)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		diskModes(t, when+", closed", dir, "app.disk.db", "group.diskgroup.db", file.KeyFileName)
	}
}

// diskSnapshot describes every file in dir: name, mode and a hash of the
// content.
func diskSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(data))
		}
		snap[path] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestDiskRefusesReadable makes each part of a store readable by others in
// turn: Open (or the first use of the access group) must fail with a
// *securestore.PermissionError whose message holds the chmod that fixes
// it, and leave every file as it was; after that chmod the store works.
func TestDiskRefusesReadable(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir() + "/store"
	s, err := securestore.Open(ctx, diskConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	group := &securestore.Options{AccessGroup: diskGroup}
	for _, opts := range []*securestore.Options{nil, group} {
		if err := s.SetItem(ctx, "k", "v", opts); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "app.disk.db")
	cases := []struct {
		path string
		mode os.FileMode
		fix  string
		use  *securestore.Options // nil: Open fails; else: this item's first use fails
	}{
		{dir, 0o755, "chmod 700 " + dir, nil},
		{dir, 0o701, "chmod 700 " + dir, nil},
		{db, 0o644, "chmod 600 " + db, nil},
		{db, 0o620, "chmod 600 " + db, nil},
		{filepath.Join(dir, file.KeyFileName), 0o640, "chmod 600 " + filepath.Join(dir, file.KeyFileName), nil},
		{filepath.Join(dir, "group.diskgroup.db"), 0o604, "chmod 600 " + filepath.Join(dir, "group.diskgroup.db"), group},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %04o", filepath.Base(tc.path), tc.mode), func(t *testing.T) {
			if err := os.Chmod(tc.path, tc.mode); err != nil {
				t.Fatal(err)
			}
			before := diskSnapshot(t, dir)
			s, err := securestore.Open(ctx, diskConfig(dir))
			if tc.use != nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				_, err = s.GetItem(ctx, "k", tc.use)
				if cerr := s.Close(); cerr != nil {
					t.Fatal(cerr)
				}
			} else if err == nil {
				s.Close()
				t.Fatalf("Open succeeded with %s at mode %04o", tc.path, tc.mode)
			}
			var pe *securestore.PermissionError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v (%T), want a *securestore.PermissionError", err, err)
			}
			if !strings.Contains(err.Error(), tc.fix) {
				t.Errorf("the error %q does not say %q", err, tc.fix)
			}
			if after := diskSnapshot(t, dir); !maps.Equal(before, after) {
				t.Errorf("the refused store changed:\nbefore %v\nafter  %v", before, after)
			}

			if err := os.Chmod(tc.path, map[bool]os.FileMode{true: 0o700, false: 0o600}[tc.path == dir]); err != nil {
				t.Fatal(err)
			}
			s, err = securestore.Open(ctx, diskConfig(dir))
			if err != nil {
				t.Fatalf("Open after %s: %v", tc.fix, err)
			}
			defer s.Close()
			for _, opts := range []*securestore.Options{nil, group} {
				if got, err := s.GetItem(ctx, "k", opts); err != nil || got != "v" {
					t.Errorf("after %s: GetItem = %q, %v", tc.fix, got, err)
				}
			}
		})
	}

	// A WAL exists while a store is open: another Store that would
	// share a readable one is refused as well.
	t.Run("app.disk.db-wal 0644, open elsewhere", func(t *testing.T) {
		first, err := securestore.Open(ctx, diskConfig(dir))
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		wal := db + "-wal"
		if err := os.Chmod(wal, 0o644); err != nil {
			t.Fatal(err)
		}
		before := diskSnapshot(t, dir)
		s, err := securestore.Open(ctx, diskConfig(dir))
		var pe *securestore.PermissionError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "chmod 600 "+wal) {
			if err == nil {
				s.Close()
			}
			t.Fatalf("Open with a readable WAL: %v; want a PermissionError saying chmod 600 %s", err, wal)
		}
		if after := diskSnapshot(t, dir); !maps.Equal(before, after) {
			t.Errorf("the refused store changed:\nbefore %v\nafter  %v", before, after)
		}
		if err := os.Chmod(wal, 0o600); err != nil {
			t.Fatal(err)
		}
	})
}
