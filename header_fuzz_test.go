package securestore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/protector/file"
)

// headerItem is an item of FuzzDatabaseHeader's store.
type headerItem struct{ service, key, value string }

var headerItems = []headerItem{
	{"svc", "alpha", "the first value"},
	{"svc", "beta", ""},
	{"other", "alpha", string(bytes.Repeat([]byte{0xa5}, 1500))},
	{"other", "gamma", "g"},
}

// FuzzDatabaseHeader overwrites the 100-byte header of a closed store's
// database file (SQLite's header, which holds the page size, the format
// numbers, the schema cookie, user_version and application_id) with
// bytes the fuzzer picks at an offset it picks, then opens the store and
// reads every item. The database file is the one part of a store that
// other programs, disks and backups may damage or replace. It checks
// that Open and the reads never panic, and that an Open that succeeds,
// whatever the header says, still returns each item's own value or an
// error, never another value, and that Keys lists only keys that were
// stored under that service.
func FuzzDatabaseHeader(f *testing.F) {
	orig := filepath.Join(testdir.New(f), "orig")
	s, err := Open(bctx, Config{App: "hdr", Dir: orig, Protector: "file"})
	if err != nil {
		f.Fatal(err)
	}
	for i, it := range headerItems {
		if err := s.SetItem(bctx, it.key, it.value, &Options{KeychainService: it.service, KeychainAccessible: Accessibility(i % 3)}); err != nil {
			f.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		f.Fatal(err)
	}
	dbName := filepath.Base(storeFile(orig, "app", "hdr"))
	db, err := os.ReadFile(filepath.Join(orig, dbName))
	if err != nil {
		f.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(orig, file.KeyFileName))
	if err != nil {
		f.Fatal(err)
	}
	dir := filepath.Join(testdir.New(f), "store")
	if err := os.Mkdir(dir, 0o700); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file.KeyFileName), key, 0o600); err != nil {
		f.Fatal(err)
	}

	f.Add(uint8(0), []byte{})                                    // untouched
	f.Add(uint8(0), []byte("SQLite format 4\x00"))               // magic
	f.Add(uint8(16), []byte{0x02, 0x00})                         // page size 512
	f.Add(uint8(18), []byte{0x01, 0x01})                         // rollback journal, not WAL
	f.Add(uint8(20), []byte{0x20})                               // reserved bytes per page
	f.Add(uint8(28), []byte{0, 0, 0, 1})                         // database size in pages
	f.Add(uint8(40), []byte{0, 0, 0, 9})                         // schema cookie
	f.Add(uint8(44), []byte{0, 0, 0, 5})                         // schema format number
	f.Add(uint8(56), []byte{0, 0, 0, 3})                         // text encoding UTF-16be
	f.Add(uint8(60), []byte{0, 0, 0, 2})                         // user_version: a newer schema
	f.Add(uint8(60), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) // user_version and application_id 0
	f.Add(uint8(68), []byte("SSTQ"))                             // another application_id
	f.Add(uint8(92), []byte{0, 0, 0, 0, 0, 0, 0, 0})             // version-valid-for, SQLite version

	path := filepath.Join(dir, dbName)
	f.Fuzz(func(t *testing.T, offset uint8, patch []byte) {
		changed := slices.Clone(db)
		at := int(offset) % 100
		copy(changed[at:100], patch)
		for _, p := range []string{path + "-wal", path + "-shm"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(path, changed, 0o600); err != nil {
			t.Fatal(err)
		}
		untouched := bytes.Equal(changed, db)
		s, err := Open(bctx, Config{App: "hdr", Dir: dir, Protector: "file"})
		if err != nil {
			if untouched {
				t.Fatalf("the untouched store does not open: %v", err)
			}
			return
		}
		defer s.Close()
		for _, it := range headerItems {
			o := &Options{KeychainService: it.service}
			got, err := s.GetItem(bctx, it.key, o)
			switch {
			case err == nil && got != it.value:
				t.Fatalf("header bytes %d.. = %x: %s/%s reads %d bytes that are not its value", at, patch, it.service, it.key, len(got))
			case err != nil && untouched:
				t.Fatalf("the untouched store fails to read %s/%s: %v", it.service, it.key, err)
			}
			s.HasItem(bctx, it.key, o) // may fail; must not panic
		}
		for _, service := range []string{"svc", "other", "none"} {
			keys, _ := s.Keys(bctx, &Options{KeychainService: service})
			for _, k := range keys {
				if !slices.ContainsFunc(headerItems, func(it headerItem) bool { return it.service == service && it.key == k }) {
					t.Fatalf("header bytes %d.. = %x: Keys(%q) lists %q, never stored there", at, patch, service, k)
				}
			}
		}
	})
}
