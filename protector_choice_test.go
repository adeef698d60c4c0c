package securestore

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/securestore-go/securestore/protector"
	"github.com/securestore-go/securestore/protector/file"
)

// TestForcedUnavailableProtectorIsAnError: a protector named in
// Config.Protector or $SECURESTORE_PROTECTOR that is not available fails
// Open; it never falls back to another (weaker) one.
func TestForcedUnavailableProtectorIsAnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	_, err := Open(bg, Config{App: "a", Dir: dir, Protector: "test-unavailable"})
	if !errors.Is(err, protector.ErrUnavailable) {
		t.Fatalf("Open with an unavailable forced protector = %v, want ErrUnavailable", err)
	}
	t.Setenv(EnvProtector, "test-unavailable")
	if _, err := Open(bg, Config{App: "b", Dir: dir}); !errors.Is(err, protector.ErrUnavailable) {
		t.Fatalf("Open with $%s naming an unavailable protector = %v, want ErrUnavailable", EnvProtector, err)
	}
	// Nothing was recorded: the store is not protected by anything else.
	for _, app := range []string{"a", "b"} {
		info, err := Inspect(bg, Config{App: app, Dir: dir, Protector: "file"}, "")
		if err != nil || info.Protector != "" {
			t.Fatalf("after the failed Open, app %q records protector %q (%v)", app, info.Protector, err)
		}
	}
}

// TestAutoRecordsItsChoice: auto picks the first available protector in
// preference order (here, where no platform store is available, the key
// file; on Windows, DPAPI) and records it; later Opens use it.
func TestAutoRecordsItsChoice(t *testing.T) {
	t.Setenv(EnvProtector, "")
	dir := filepath.Join(t.TempDir(), "store")
	want, _, err := defaultProtectors().Choose(bg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(bg, Config{App: "a", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(bg)
	s.Close()
	if err != nil || info.Protector != want.Name() || info.Requested != "auto" {
		t.Fatalf("auto recorded %q (requested %q), %v; Choose says %q", info.Protector, info.Requested, err, want.Name())
	}
}

// TestOtherForcedProtectorIsRefused: a store keeps the protector it was
// created with; opening it with another named one is refused, with a
// message that says how to move it, until it is migrated.
func TestOtherForcedProtectorIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	want := fillStore(t, dir, "file")
	_, err := Open(bg, Config{App: "a", Dir: dir, Protector: "test-kms"})
	if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), `protected by "file"`) ||
		!strings.Contains(err.Error(), "migrate") {
		t.Fatalf("Open with another protector = %v, want ErrInvalidOption naming file and migrate", err)
	}
	if files := testKMSFiles(dir); len(files) != 0 {
		t.Fatalf("the refused Open wrapped a key with the other protector: %v", files)
	}
	checkStore(t, dir, "auto", want)
	if _, err := Migrate(bg, Config{App: "a", Dir: dir, AccessGroups: []string{"g"}}, "test-kms"); err != nil {
		t.Fatal(err)
	}
	checkStore(t, dir, "test-kms", want)
}

func TestInfo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	cfg := Config{App: "a", Dir: dir, Protector: "file"}

	info, err := Inspect(bg, cfg, "")
	if err != nil || info.Exists || info.Protector != "" || info.Path != storeFile(dir, "app", "a") {
		t.Fatalf("Inspect before the store exists = %+v, %v", info, err)
	}
	if _, err := os.Stat(info.Path); err == nil {
		t.Fatal("Inspect created the store")
	}
	if info.ID != "app:a" || info.NewProtector != "file" || !strings.Contains(info.Verdict, "key file") {
		t.Fatalf("Inspect before the store exists: ID %q, NewProtector %q, Verdict %q; want app:a, file and the key file's verdict",
			info.ID, info.NewProtector, info.Verdict)
	}
	t.Setenv(EnvProtector, "")
	auto, err := Inspect(bg, Config{App: "a", Dir: dir}, "")
	if want, _, cerr := defaultProtectors().Choose(bg); cerr != nil || err != nil || auto.NewProtector != want.Name() {
		t.Fatalf("Inspect with auto: NewProtector %q, %v; Choose picks %v, %v", auto.NewProtector, err, want, cerr)
	}

	fillStore(t, dir, "file")
	s, err := Open(bg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info, err = s.Info(bg)
	if err != nil {
		t.Fatal(err)
	}
	if info.Store != `app "a"` || info.ID != "app:a" || info.Dir != dir || info.Protector != "file" || info.Locked ||
		info.NewProtector != "" || !strings.Contains(info.Verdict, "key file") {
		t.Fatalf("Info = %+v", info)
	}
	// fillStore put two items (services app and sync) in each class but
	// WhenPasscodeSetThisDeviceOnly.
	for c := Accessibility(0); c < numClasses; c++ {
		want := 2
		if c == WhenPasscodeSetThisDeviceOnly {
			want = 0
		}
		if info.Items[c] != want {
			t.Errorf("Items[%v] = %d, want %d", c, info.Items[c], want)
		}
	}
	modes := map[string]os.FileMode{}
	for _, f := range info.Files {
		modes[filepath.Base(f.Path)] = f.Mode
		if f.Problem != "" {
			t.Errorf("%s: %s", f.Path, f.Problem)
		}
	}
	for _, name := range []string{"store", "app.a.db", file.KeyFileName} {
		if _, ok := modes[name]; !ok {
			t.Errorf("Info.Files lacks %s: %v", name, modes)
		}
	}
	if modes[file.KeyFileName].Perm()&0o077 != 0 || modes["app.a.db"].Perm()&0o077 != 0 {
		t.Errorf("modes: %v", modes)
	}

	got, err := Inspect(bg, cfg, "")
	if err != nil || !got.Exists || got.Protector != "file" || got.KeyErr != nil || got.Items[Always] != 2 {
		t.Fatalf("Inspect of an existing store = %+v, %v", got, err)
	}
	g, err := Inspect(bg, cfg, "g")
	if err != nil || g.Store != `access group "g"` || g.ID != "group:g" || g.Items[WhenUnlocked] != 1 {
		t.Fatalf("Inspect of the access group = %+v, %v", g, err)
	}
}

// TestInspectReportsABrokenKey: doctor must describe a store whose key
// does not unwrap, rather than fail like Open.
func TestInspectReportsABrokenKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	fillStore(t, dir, "file")
	if err := os.Remove(filepath.Join(dir, file.KeyFileName)); err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(bg, Config{App: "a", Dir: dir}, "")
	if err != nil || !errors.Is(info.KeyErr, protector.ErrKeyMissing) || info.Items[Always] != 2 {
		t.Fatalf("Inspect with the key file gone = %+v, %v; want KeyErr wrapping ErrKeyMissing", info, err)
	}
}

// TestInspectLeavesAStoreOthersCanReadUnopened: opening it would make
// SQLite create its -wal and -shm files with the same loose mode.
func TestInspectLeavesAStoreOthersCanReadUnopened(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are Unix")
	}
	dir := filepath.Join(t.TempDir(), "store")
	fillStore(t, dir, "file")
	path := storeFile(dir, "app", "a")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(bg, Config{App: "a", Dir: dir}, "")
	var perm *PermissionError
	if err != nil || !errors.As(info.KeyErr, &perm) || info.Protector != "" || !strings.HasPrefix(info.Verdict, "unknown") {
		t.Fatalf("Inspect = %+v, %v; want KeyErr holding a PermissionError", info, err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("Inspect opened the store and created its WAL")
	}
}
