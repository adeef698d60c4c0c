package securestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/protector"
)

var bg = context.Background()

// fillStore creates app "a" in dir under protectorName, with one item in
// every class that works without a passcode, in two services, plus an
// access group "g" with an item; it returns what it stored.
func fillStore(t *testing.T, dir, protectorName string) map[string]string {
	t.Helper()
	s, err := Open(bg, Config{App: "a", Dir: dir, Protector: protectorName, AccessGroups: []string{"g"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]string{}
	for c := Accessibility(0); c < numClasses; c++ {
		if c == WhenPasscodeSetThisDeviceOnly {
			continue
		}
		for _, svc := range []string{"app", "sync"} {
			k := fmt.Sprintf("k%d", c)
			v := fmt.Sprintf("value of %s in %s", k, svc)
			if err := s.SetItem(bg, k, v, &Options{KeychainService: svc, KeychainAccessible: c}); err != nil {
				t.Fatal(err)
			}
			want[svc+"/"+k] = v
		}
	}
	if err := s.SetItem(bg, "shared", "group value", &Options{AccessGroup: "g"}); err != nil {
		t.Fatal(err)
	}
	want["g/shared"] = "group value"
	return want
}

// checkStore opens the store with the protector it must record (forced,
// so a mismatch is an error) and reads every item back.
func checkStore(t *testing.T, dir, protectorName string, want map[string]string) {
	t.Helper()
	s, err := Open(bg, Config{App: "a", Dir: dir, Protector: protectorName, AccessGroups: []string{"g"}})
	if err != nil {
		t.Fatalf("open with %q: %v", protectorName, err)
	}
	defer s.Close()
	for id, v := range want {
		svc, key, _ := strings.Cut(id, "/")
		opts := &Options{KeychainService: svc}
		if svc == "g" {
			opts = &Options{AccessGroup: "g"}
		}
		got, err := s.GetItem(bg, key, opts)
		if err != nil || got != v {
			t.Fatalf("item %s after migration: %q, %v", id, got, err)
		}
	}
	if _, err := s.GetItem(bg, "shared", &Options{AccessGroup: "g"}); err != nil {
		t.Fatalf("access group item: %v", err)
	}
}

func TestMigrateRewrapsWithoutTouchingItems(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	want := fillStore(t, dir, "file")
	before := itemRows(t, dir)

	done, err := Migrate(bg, Config{App: "a", Dir: dir, AccessGroups: []string{"g"}}, "test-kms")
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 2 || done[0].From != "file" || done[0].To != "test-kms" || done[1].Store != `access group "g"` {
		t.Fatalf("Migrate = %+v", done)
	}
	if got := itemRows(t, dir); got != before {
		t.Fatal("Migrate changed the items table")
	}
	if n := len(testKMSFiles(dir)); n != 2 {
		t.Fatalf("%d test-kms key files after moving two stores, want 2", n)
	}
	checkStore(t, dir, "test-kms", want)
	// The old protector is now refused, as any other would be.
	if _, err := Open(bg, Config{App: "a", Dir: dir, Protector: "file"}); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("open with the old protector after migrating: %v", err)
	}

	// Moving back removes the test KMS's state (protector.Remover).
	if _, err := Migrate(bg, Config{App: "a", Dir: dir, AccessGroups: []string{"g"}}, "file"); err != nil {
		t.Fatal(err)
	}
	if files := testKMSFiles(dir); len(files) != 0 {
		t.Fatalf("the old protector's state is left: %v", files)
	}
	checkStore(t, dir, "file", want)

	// Migrating to the protector a store already has changes nothing.
	done, err = Migrate(bg, Config{App: "a", Dir: dir}, "file")
	if err != nil || len(done) != 1 || done[0].From != "file" || done[0].To != "file" {
		t.Fatalf("Migrate to the same protector = %+v, %v", done, err)
	}
}

// itemRows is the whole items table as bytes, to show it did not change.
func itemRows(t *testing.T, dir string) string {
	t.Helper()
	s, err := Open(bg, Config{App: "a", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b strings.Builder
	err = s.own.db.Scan(bg, func(r *storage.Item) error {
		fmt.Fprintf(&b, "%x %x %x %x\n", r.Svc, r.ID, r.Name, r.Value)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMigrateFailuresChangeNothing: a new protector that fails at Wrap,
// that wraps a key it cannot give back, or that is unavailable, leaves the
// store as it was: it opens with the old protector and every item reads.
func TestMigrateFailuresChangeNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	want := fillStore(t, dir, "file")
	for _, c := range []struct {
		to   string
		want error
	}{
		{"test-failing-wrap", nil},
		{"test-wrong-key", nil},
		{"test-unavailable", protector.ErrUnavailable},
		{"no-such-protector", ErrInvalidOption},
		{"auto", ErrInvalidOption},
	} {
		_, err := Migrate(bg, Config{App: "a", Dir: dir, AccessGroups: []string{"g"}}, c.to)
		if err == nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("Migrate to %q = %v, want an error wrapping %v", c.to, err, c.want)
		}
		checkStore(t, dir, "file", want)
	}
	if _, err := Migrate(bg, Config{App: "nobody", Dir: dir}, "test-kms"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Migrate of an app without a store = %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(storeFile(dir, "app", "nobody")); err == nil {
		t.Error("Migrate created a store")
	}
}

// TestMigrateCrash kills a migration between its steps (the child process
// exits on the spot, running no deferred cleanup) and checks that the
// store then opens, with the old protector before the commit and the new
// one after it, and that every item reads.
func TestMigrateCrash(t *testing.T) {
	if step := os.Getenv("SECURESTORE_MIGRATE_CRASH_AT"); step != "" {
		migrateHook = func(s string) {
			if s == step {
				os.Exit(3)
			}
		}
		Migrate(bg, Config{App: "a", Dir: os.Getenv("SECURESTORE_MIGRATE_DIR"), AccessGroups: []string{"g"}},
			os.Getenv("SECURESTORE_MIGRATE_TO"))
		os.Exit(0) // the step was never reached: the parent fails
	}
	for _, c := range []struct {
		from, to, step, after string
	}{
		{"file", "test-kms", "unwrapped", "file"},
		{"file", "test-kms", "wrapped", "file"},
		{"file", "test-kms", "committed", "test-kms"},
		{"test-kms", "file", "wrapped", "test-kms"},
		{"test-kms", "file", "committed", "file"},
	} {
		t.Run(c.from+"-to-"+c.to+"-at-"+c.step, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			want := fillStore(t, dir, c.from)
			cmd := exec.Command(os.Args[0], "-test.run=^TestMigrateCrash$")
			cmd.Env = append(os.Environ(), "SECURESTORE_MIGRATE_CRASH_AT="+c.step,
				"SECURESTORE_MIGRATE_DIR="+dir, "SECURESTORE_MIGRATE_TO="+c.to)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 3 {
				t.Fatalf("the child did not crash at %q: %v\n%s", c.step, err, out)
			}
			// Each store moves on its own: the app's store (moved first)
			// records c.after, and every item of every store reads.
			checkStore(t, dir, "auto", want)
			info, err := Inspect(bg, Config{App: "a", Dir: dir}, "")
			if err != nil || info.Protector != c.after || info.KeyErr != nil {
				t.Fatalf("after the crash the app's store records %q (key: %v), %v; want %q",
					info.Protector, info.KeyErr, err, c.after)
			}
			// And a migration run again to the end completes it.
			if _, err := Migrate(bg, Config{App: "a", Dir: dir, AccessGroups: []string{"g"}}, c.to); err != nil {
				t.Fatal(err)
			}
			checkStore(t, dir, c.to, want)
		})
	}
}
