package securestore_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/protector/file"
)

// The file modes and the refusal of readable stores are Unix matters:
// they are tested in disk_unix_test.go.

const (
	diskApp   = "disk"
	diskGroup = "diskgroup"
)

func diskConfig(dir string) securestore.Config {
	return securestore.Config{App: diskApp, Dir: dir, Protector: "file", AccessGroups: []string{diskGroup}}
}

// diskFiles returns the name and content of every file in dir.
func diskFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("store directory holds a directory: %s", e.Name())
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	return files
}

// diskFind returns where the files in dir, or their names, hold one of the
// secrets as bytes or as hex (either case).
func diskFind(t *testing.T, dir string, secrets []string) []string {
	t.Helper()
	var found []string
	for name, data := range diskFiles(t, dir) {
		for _, s := range secrets {
			for _, form := range []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))} {
				if i := bytes.Index(data, []byte(form)); i >= 0 {
					found = append(found, fmt.Sprintf("%s holds %q at byte %d", name, form, i))
				}
				if strings.Contains(name, form) {
					found = append(found, fmt.Sprintf("the file name %s holds %q", name, form))
				}
			}
		}
	}
	return found
}

// TestDiskNothingInClear stores items whose keys, services and values are
// distinctive strings, in the app's store and an access group, and scans
// every file of the store directory for them, while the store is open
// (the changes then sit in the WAL) and after Close: none may appear.
func TestDiskNothingInClear(t *testing.T) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(helperSeed(t), 0))
	mark := func(kind string) string { return fmt.Sprintf("%s-%016x", kind, rng.Uint64()) }
	dir := t.TempDir() + "/store"
	s, err := securestore.Open(ctx, diskConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var secrets []string
	for _, group := range []string{"", diskGroup} {
		for _, service := range []string{"", mark("SVC")} {
			for _, class := range writableClasses {
				key, value := mark("KEY"), mark("VALUE")
				opts := &securestore.Options{AccessGroup: group, KeychainService: service, KeychainAccessible: class}
				if err := s.SetItem(ctx, key, value, opts); err != nil {
					t.Fatal(err)
				}
				// A long value too, which spans several cells' worth of bytes.
				long := mark("LONGVALUE") + strings.Repeat("-"+value, 40)
				if err := s.SetItem(ctx, key+"-long", long, opts); err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, key, value, long[:64])
				if service != "" {
					secrets = append(secrets, service)
				}
			}
		}
	}
	open := diskFiles(t, dir)
	for _, f := range []string{"app.disk.db-wal", "group.diskgroup.db-wal", "app.disk.db-shm", file.KeyFileName} {
		if len(open[f]) == 0 {
			t.Fatalf("while open, %s is missing or empty; the scan would prove nothing (files: %v)", f, slices.Sorted(maps.Keys(open)))
		}
	}
	if found := diskFind(t, dir, secrets); len(found) > 0 {
		t.Errorf("while open, in clear on disk:\n%s", strings.Join(found, "\n"))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if found := diskFind(t, dir, secrets); len(found) > 0 {
		t.Errorf("after Close, in clear on disk:\n%s", strings.Join(found, "\n"))
	}

	// The scan does find a secret that is on disk, in either form.
	plain := t.TempDir()
	os.WriteFile(filepath.Join(plain, "a"), []byte("..."+secrets[0]+"..."), 0o600)
	os.WriteFile(filepath.Join(plain, "b"), []byte(hex.EncodeToString([]byte(secrets[1]))), 0o600)
	if found := diskFind(t, plain, secrets); len(found) != 2 {
		t.Errorf("the scan of two files with a secret each found %q", found)
	}
}
