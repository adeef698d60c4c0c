package securestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/securestore-go/securestore/internal/testonly"
)

// bctx opens stores whose passcodes and export passphrases are cheap to
// derive: these tests are about what is exported, not about the cost of
// guessing.
var bctx = testonly.WithCheapKDFs(context.Background())

const testGroup = "group.shared"

// backupStore opens app "com.example.backup", entitled to testGroup, in a
// directory of its own: a device of its own, with its own device key.
func backupStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(bctx, Config{App: "com.example.backup", Dir: dir, Protector: "file", AccessGroups: []string{testGroup}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newDevice(t *testing.T) string { return filepath.Join(t.TempDir(), "store") }

// fillBackup stores an item of every class in the app's store and in the
// group (but WhenPasscodeSet: group stores have no passcode), under two
// services. It needs a passcode set.
func fillBackup(t *testing.T, s *Store) map[string]string {
	t.Helper()
	want := map[string]string{}
	for c := Accessibility(0); c < numClasses; c++ {
		for _, o := range []Options{{KeychainService: "svc"}, {KeychainService: "other", AccessGroup: testGroup}} {
			if o.AccessGroup != "" && c == WhenPasscodeSetThisDeviceOnly {
				continue
			}
			o.KeychainAccessible = c
			key := "k." + c.String()
			value := fmt.Sprintf("value of %v in %q/%q", c, o.AccessGroup, o.KeychainService)
			if err := s.SetItem(bctx, key, value, &o); err != nil {
				t.Fatal(err)
			}
			want[itemName(o, key)] = value
		}
	}
	return want
}

func itemName(o Options, key string) string {
	return o.AccessGroup + "/" + o.KeychainService + "/" + key
}

// snapshot reads every item that fillBackup may have written.
func snapshot(t *testing.T, s *Store) map[string]string {
	t.Helper()
	got := map[string]string{}
	for c := Accessibility(0); c < numClasses; c++ {
		for _, o := range []Options{{KeychainService: "svc"}, {KeychainService: "other", AccessGroup: testGroup}} {
			key := "k." + c.String()
			v, err := s.GetItem(bctx, key, &o)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("GetItem %s: %v", itemName(o, key), err)
			}
			got[itemName(o, key)] = v
		}
	}
	return got
}

func export(t *testing.T, s *Store, pass string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Export(bctx, &b, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestExportImportOtherDevice(t *testing.T) {
	src := backupStore(t, newDevice(t))
	if err := src.SetPasscode(bctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	want := fillBackup(t, src)
	file := export(t, src, "correct horse")
	if bytes.Contains(file, []byte("value of")) || bytes.Contains(file, []byte("k.Always")) {
		t.Fatal("the export holds names or values in clear")
	}

	dst := backupStore(t, newDevice(t))
	if err := dst.SetPasscode(bctx, nil, []byte("5678")); err != nil {
		t.Fatal(err)
	}
	res, err := dst.ImportReport(bctx, bytes.NewReader(file), []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, dst)
	for name, v := range want {
		deviceOnly := bytes.Contains([]byte(name), []byte("ThisDeviceOnly"))
		if g, ok := got[name]; deviceOnly && ok {
			t.Errorf("%s restored onto another device", name)
		} else if !deviceOnly && g != v {
			t.Errorf("%s = %q, want %q", name, g, v)
		}
	}
	if res.Restored != 6 || res.Skipped != 7 || len(got) != 6 {
		t.Errorf("restored %d, skipped %d, store holds %d; want 6 restored (3 classes x 2 stores), 7 skipped", res.Restored, res.Skipped, len(got))
	}
}

func TestExportImportSameDevice(t *testing.T) {
	dir := newDevice(t)
	s := backupStore(t, dir)
	if err := s.SetPasscode(bctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	want := fillBackup(t, s)
	file := export(t, s, "pw")
	// Lose everything: delete every item, then restore.
	for c := Accessibility(0); c < numClasses; c++ {
		for _, o := range []Options{{KeychainService: "svc"}, {KeychainService: "other", AccessGroup: testGroup}} {
			if err := s.DeleteItem(bctx, "k."+c.String(), &o); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := s.Import(bctx, bytes.NewReader(file), []byte("pw"))
	if err != nil || n != len(want) {
		t.Fatalf("Import = %d, %v; want %d", n, err, len(want))
	}
	if got := snapshot(t, s); !maps.Equal(got, want) {
		t.Fatalf("after import: %v\nwant %v", got, want)
	}

	// Onto the same device but another Store (a restart): everything again.
	s.Close()
	s = backupStore(t, dir)
	if err := s.Unlock(bctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Import(bctx, bytes.NewReader(file), []byte("pw")); err != nil || n != len(want) {
		t.Fatalf("second Import = %d, %v", n, err)
	}
}

// TestImportDamaged: a truncated, bit-flipped or wrong-passphrase export is
// refused, and the store is left exactly as it was.
func TestImportDamaged(t *testing.T) {
	src := backupStore(t, newDevice(t))
	if err := src.SetPasscode(bctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	fillBackup(t, src)
	file := export(t, src, "pw")

	dst := backupStore(t, newDevice(t))
	if err := dst.SetPasscode(bctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := dst.SetItem(bctx, "k.Always", "untouched", &Options{KeychainService: "svc"}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dst)
	check := func(what string, data []byte, pass string, want error) {
		t.Helper()
		n, err := dst.Import(bctx, bytes.NewReader(data), []byte(pass))
		if !errors.Is(err, want) || n != 0 {
			t.Errorf("%s: Import = %d, %v; want %v", what, n, err, want)
		}
		if after := snapshot(t, dst); !maps.Equal(after, before) {
			t.Fatalf("%s changed the store: %v", what, after)
		}
	}
	check("wrong passphrase", file, "PW", ErrWrongPasscode)
	check("empty file", nil, "pw", ErrCorrupt)
	check("not an export", []byte("hello\n"), "pw", ErrCorrupt)
	for _, cut := range []int{len(file) - 1, len(file) - 17, len(file) / 2, 200, 40} {
		check(fmt.Sprintf("truncated to %d of %d bytes", cut, len(file)), file[:cut], "pw", ErrCorrupt)
	}
	for _, at := range []int{len(file) - 1, len(file) - 100, len(file) / 2, 300} {
		flipped := slices.Clone(file)
		flipped[at] ^= 0x20
		check(fmt.Sprintf("bit flipped at %d", at), flipped, "pw", ErrCorrupt)
	}
}

func TestExportNeedsUnlock(t *testing.T) {
	dir := newDevice(t)
	s := backupStore(t, dir)
	if err := s.SetPasscode(bctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	fillBackup(t, s)
	file := export(t, s, "pw")
	s.Close()
	s = backupStore(t, dir) // opens locked
	if err := s.Export(bctx, &bytes.Buffer{}, []byte("pw")); !errors.Is(err, ErrLocked) {
		t.Fatalf("Export while locked: %v, want ErrLocked", err)
	}
	if _, err := s.Import(bctx, bytes.NewReader(file), []byte("pw")); !errors.Is(err, ErrLocked) {
		t.Fatalf("Import while locked: %v, want ErrLocked", err)
	}
	if err := s.Export(bctx, &bytes.Buffer{}, nil); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("Export with an empty passphrase: %v", err)
	}
}

func TestImportWithoutPasscodeSkipsWhenPasscodeSet(t *testing.T) {
	dir := newDevice(t)
	s := backupStore(t, dir)
	if err := s.SetPasscode(bctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	want := fillBackup(t, s)
	file := export(t, s, "pw")
	if err := s.SetPasscode(bctx, []byte("1234"), nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.ImportReport(bctx, bytes.NewReader(file), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Restored != len(want)-1 || res.Skipped != 1 {
		t.Fatalf("restored %d, skipped %d; want %d and 1 (WhenPasscodeSet)", res.Restored, res.Skipped, len(want)-1)
	}
}

func TestImportValueTooLarge(t *testing.T) {
	dir := newDevice(t)
	big, err := Open(bctx, Config{App: "com.example.backup", Dir: dir, Protector: "file", MaxValueBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if err := big.SetItem(bctx, "small", "s", nil); err != nil {
		t.Fatal(err)
	}
	if err := big.SetItem(bctx, "large", string(make([]byte, 3000)), nil); err != nil {
		t.Fatal(err)
	}
	file := export(t, big, "pw")
	small := backupStore(t, newDevice(t))
	if _, err := small.Import(bctx, bytes.NewReader(file), []byte("pw")); !errors.Is(err, ErrValueTooLarge) {
		t.Fatalf("Import of a 3000-byte value into a 2048-byte store: %v", err)
	}
	if ok, _ := small.HasItem(bctx, "small", nil); ok {
		t.Fatal("a refused import restored some items")
	}
}
