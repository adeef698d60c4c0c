package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/securestore-go/securestore/internal/machineid"
	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/protector"
)

// fakeMachine replaces this platform's machine identities with one source,
// "machine-id", that reads *id (an error when *id is ""), for the rest of
// the test. Tests that use it change a package variable: none runs in
// parallel.
func fakeMachine(t testing.TB, id string) *string {
	t.Helper()
	saved := machineSources
	t.Cleanup(func() { machineSources = saved })
	cur := &id
	machineSources = []machineid.Source{{Name: "machine-id", Read: func() ([]byte, error) {
		if *cur == "" {
			return nil, errors.New("no machine id here")
		}
		return []byte(*cur), nil
	}}}
	return cur
}

var testScope = protector.Scope{Store: "app:test"}

func testKey(n byte) []byte { return bytes.Repeat([]byte{n}, 32) }

// wrapIn wraps key for testScope in dir, failing the test on an error.
func wrapIn(t *testing.T, dir string, key []byte) []byte {
	t.Helper()
	blob, err := fileProtector{}.Wrap(context.Background(), protector.Scope{Dir: dir, Store: testScope.Store}, key)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	return blob
}

func unwrapIn(dir string, blob []byte) ([]byte, error) {
	return fileProtector{}.Unwrap(context.Background(), protector.Scope{Dir: dir, Store: testScope.Store}, blob)
}

func TestFileWrapUnwrap(t *testing.T) {
	fakeMachine(t, "machine-1")
	dir := testdir.New(t)
	key := testKey(7)
	blob := wrapIn(t, dir, key)
	if bytes.Contains(blob, key) {
		t.Fatal("the wrapped blob holds the key")
	}
	got, err := unwrapIn(dir, blob)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Unwrap = %x, %v; want %x", got, err, key)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFileName)); err != nil {
		t.Fatal(err)
	} else if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode())
	}
	// A second Wrap uses the same key file.
	before, _ := os.ReadFile(filepath.Join(dir, KeyFileName))
	blob2 := wrapIn(t, dir, testKey(8))
	if after, _ := os.ReadFile(filepath.Join(dir, KeyFileName)); !bytes.Equal(before, after) {
		t.Fatal("a second Wrap changed the key file")
	}
	if got, err := unwrapIn(dir, blob2); err != nil || !bytes.Equal(got, testKey(8)) {
		t.Fatalf("Unwrap of the second blob = %x, %v", got, err)
	}
	// The blob is bound to its store.
	if _, err := (fileProtector{}).Unwrap(context.Background(), protector.Scope{Dir: dir, Store: "app:other"}, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Errorf("Unwrap for another store: %v; want protector.ErrKeyCorrupt", err)
	}
	// Every altered byte of the blob is noticed.
	for i := range blob {
		bad := bytes.Clone(blob)
		bad[i] ^= 0x40
		if got, err := unwrapIn(dir, bad); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Fatalf("Unwrap of a blob altered at byte %d = %x, %v; want protector.ErrKeyCorrupt", i, got, err)
		}
	}
	for _, bad := range [][]byte{nil, blob[:len(blob)-1], append(bytes.Clone(blob), 0)} {
		if _, err := unwrapIn(dir, bad); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Errorf("Unwrap of a %d-byte blob: %v; want protector.ErrKeyCorrupt", len(bad), err)
		}
	}
}

// TestFileWrongMachine copies a store directory to "another machine": the
// key file is bound to the machine id, so nothing there unwraps, and the
// key file is neither replaced nor damaged by trying.
func TestFileWrongMachine(t *testing.T) {
	machine := fakeMachine(t, "machine-1")
	dir := testdir.New(t)
	blob := wrapIn(t, dir, testKey(1))
	keyFile := filepath.Join(dir, KeyFileName)
	before, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	*machine = "machine-2"
	if got, err := unwrapIn(dir, blob); !errors.Is(err, protector.ErrWrongMachine) {
		t.Fatalf("Unwrap on another machine = %x, %v; want protector.ErrWrongMachine", got, err)
	}
	if _, err := (fileProtector{}).Wrap(context.Background(), protector.Scope{Dir: dir, Store: testScope.Store}, testKey(2)); !errors.Is(err, protector.ErrWrongMachine) {
		t.Fatalf("Wrap on another machine: %v; want protector.ErrWrongMachine", err)
	}
	*machine = "" // the identity the file is bound to cannot be read
	if _, err := unwrapIn(dir, blob); !errors.Is(err, protector.ErrWrongMachine) {
		t.Fatalf("Unwrap without a machine id: %v; want protector.ErrWrongMachine", err)
	}
	saved := machineSources // a platform that knows no "machine-id"
	machineSources = []machineid.Source{{Name: "other-id", Read: func() ([]byte, error) { return []byte("machine-1"), nil }}}
	if _, err := unwrapIn(dir, blob); !errors.Is(err, protector.ErrWrongMachine) {
		t.Fatalf("Unwrap where the binding is unknown: %v; want protector.ErrWrongMachine", err)
	}
	machineSources = saved

	if after, _ := os.ReadFile(keyFile); !bytes.Equal(before, after) {
		t.Fatal("the key file changed on the other machine")
	}
	*machine = "machine-1"
	if got, err := unwrapIn(dir, blob); err != nil || !bytes.Equal(got, testKey(1)) {
		t.Fatalf("Unwrap back on the first machine = %x, %v", got, err)
	}
}

// TestFileNoMachineID: where no machine identity can be read, the key file
// is bound to nothing ("none") and works.
func TestFileNoMachineID(t *testing.T) {
	fakeMachine(t, "")
	if b, _ := machineid.Current(machineSources); b != machineid.None {
		t.Fatalf("machine binding = %q, want %q", b, machineid.None)
	}
	dir := testdir.New(t)
	blob := wrapIn(t, dir, testKey(3))
	if got, err := unwrapIn(dir, blob); err != nil || !bytes.Equal(got, testKey(3)) {
		t.Fatalf("Unwrap = %x, %v", got, err)
	}
}

// TestFileKeyMissing: without its key file nothing unwraps, and Unwrap
// does not create one.
func TestFileKeyMissing(t *testing.T) {
	fakeMachine(t, "machine-1")
	dir := testdir.New(t)
	blob := wrapIn(t, dir, testKey(1))
	keyFile := filepath.Join(dir, KeyFileName)
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if got, err := unwrapIn(dir, blob); !errors.Is(err, protector.ErrKeyMissing) {
		t.Fatalf("Unwrap without the key file = %x, %v; want protector.ErrKeyMissing", got, err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Unwrap created a key file: %v", err)
	}
}

// TestFileKeyCorrupt alters the key file at every byte, truncates and
// extends it: each time Unwrap reports protector.ErrKeyCorrupt, and Wrap does not
// replace the damaged file with a new one.
func TestFileKeyCorrupt(t *testing.T) {
	fakeMachine(t, "machine-1")
	dir := testdir.New(t)
	blob := wrapIn(t, dir, testKey(1))
	keyFile := filepath.Join(dir, KeyFileName)
	good, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	damaged := map[string][]byte{
		"empty":     {},
		"truncated": good[:len(good)-1],
		"extended":  append(bytes.Clone(good), 0),
		"too short": good[:5],
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		damaged[fmt.Sprintf("byte %d flipped", i)] = bad
	}
	for name, bad := range damaged {
		if err := os.WriteFile(keyFile, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := unwrapIn(dir, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Fatalf("key file %s: Unwrap = %x, %v; want protector.ErrKeyCorrupt", name, got, err)
		}
		if _, err := (fileProtector{}).Wrap(context.Background(), protector.Scope{Dir: dir, Store: testScope.Store}, testKey(2)); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Fatalf("key file %s: Wrap: %v; want protector.ErrKeyCorrupt", name, err)
		}
		if now, _ := os.ReadFile(keyFile); !bytes.Equal(now, bad) {
			t.Fatalf("key file %s: rewritten", name)
		}
	}
	if err := os.WriteFile(keyFile, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := unwrapIn(dir, blob); err != nil || !bytes.Equal(got, testKey(1)) {
		t.Fatalf("Unwrap with the key file restored = %x, %v", got, err)
	}
}

// TestFileConcurrentCreate has goroutines wrap keys at once in a new
// directory, each finding no key file: they must all end up with the same
// key file, so that each blob unwraps to its key, and leave no temporary
// file behind.
func TestFileConcurrentCreate(t *testing.T) {
	fakeMachine(t, "machine-1")
	const rounds, wrappers = 20, 8
	for round := range rounds {
		dir := testdir.New(t)
		start := make(chan struct{})
		blobs := make([][]byte, wrappers)
		errs := make([]error, wrappers)
		var wg sync.WaitGroup
		for i := range wrappers {
			wg.Go(func() {
				<-start
				blobs[i], errs[i] = fileProtector{}.Wrap(context.Background(), protector.Scope{Dir: dir, Store: testScope.Store}, testKey(byte(i)))
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i, blob := range blobs {
			if got, err := unwrapIn(dir, blob); err != nil || !bytes.Equal(got, testKey(byte(i))) {
				t.Fatalf("round %d: blob %d unwraps to %x, %v; want %x", round, i, got, err, testKey(byte(i)))
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		// On Windows a losing creator cannot delete its temporary file
		// while a winner's reader has the (hard-linked) file open; the
		// next Open removes it once stale (TestRemoveStaleTemps).
		if runtime.GOOS == "windows" {
			continue
		}
		if len(entries) != 1 || entries[0].Name() != KeyFileName {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("round %d: the directory holds %s, want only %s", round, strings.Join(names, ", "), KeyFileName)
		}
	}
}
