package securestore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testonly"
)

// The backup thief's attack on passcode changes: a copy of the store from
// before the passcode was set (or changed) has key rows that the thief can
// open (no passcode, or the old, leaked one). Written back into the store,
// or with the new items' rows copied into the old store, they must not
// open any item written after the change: the change gave the passcode
// classes fresh keys.

func rotationOpen(t *testing.T, dir string) *securestore.Store {
	t.Helper()
	s, err := securestore.Open(testonly.WithCheapKDFs(context.Background()), securestore.Config{App: "rot", Dir: dir, Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rotationSQL runs statements on a closed store's database with the
// database at other attached as "old".
func rotationSQL(t *testing.T, path, other string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`ATTACH DATABASE ? AS old`, other); err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// writeBackKeys replaces the key rows (meta and class_keys) of the store in
// dst with those of the old copy in src.
var writeBackKeys = []string{
	`DELETE FROM meta`, `INSERT INTO meta SELECT * FROM old.meta`,
	`DELETE FROM class_keys`, `INSERT INTO class_keys SELECT * FROM old.class_keys`,
}

// copyInItems puts the items of the store attached as old into this one.
var copyInItems = []string{`INSERT OR REPLACE INTO items (id, svc, class, name, value) SELECT id, svc, class, name, value FROM old.items`}

func rotationCheck(t *testing.T, s *securestore.Store, what string) {
	t.Helper()
	ctx := context.Background()
	for _, key := range []string{"after-wu", "after-afu"} {
		v, err := s.GetItem(ctx, key, nil)
		if err == nil || v != "" {
			t.Fatalf("%s: GetItem(%q) = %q, %v: an item written after the change opens with the keys from before", what, key, v, err)
		}
		if !errors.Is(err, securestore.ErrCorrupt) && !errors.Is(err, securestore.ErrLocked) {
			t.Fatalf("%s: GetItem(%q): %v, want ErrCorrupt or ErrLocked", what, key, err)
		}
	}
}

func TestRotationOldKeysUseless(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	for _, change := range []string{"set", "change"} {
		t.Run(change, func(t *testing.T) {
			base := t.TempDir()
			dir, before := filepath.Join(base, "store"), filepath.Join(base, "before")
			file := filepath.Join(dir, "app.rot.db")
			s := rotationOpen(t, dir)
			if err := s.SetItem(ctx, "before", "v0", &securestore.Options{KeychainAccessible: securestore.WhenUnlocked}); err != nil {
				t.Fatal(err)
			}
			old := []byte(nil)
			if change == "change" {
				if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
					t.Fatal(err)
				}
				old = []byte("1234")
			}
			s.Close()
			tamperCopy(t, dir, before)

			s = rotationOpen(t, dir)
			if old != nil {
				if err := s.Unlock(ctx, []byte("1234")); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.SetPasscode(ctx, old, []byte("5678")); err != nil {
				t.Fatal(err)
			}
			for key, class := range map[string]securestore.Accessibility{"after-wu": securestore.WhenUnlocked, "after-afu": securestore.AfterFirstUnlock} {
				if err := s.SetItem(ctx, key, "secret-after", &securestore.Options{KeychainAccessible: class}); err != nil {
					t.Fatal(err)
				}
			}
			if v, err := s.GetItem(ctx, "before", nil); err != nil || v != "v0" {
				t.Fatalf("item from before the change, re-sealed: %q, %v", v, err)
			}
			s.Close()

			// The old key rows written back into the new store.
			attacked := filepath.Join(base, "attacked")
			tamperCopy(t, dir, attacked)
			rotationSQL(t, filepath.Join(attacked, "app.rot.db"), filepath.Join(before, "app.rot.db"), writeBackKeys...)
			s = rotationOpen(t, attacked)
			if old != nil {
				if err := s.Unlock(ctx, []byte("1234")); err != nil {
					t.Fatalf("the old passcode with the old rows: %v", err)
				}
			}
			rotationCheck(t, s, "old key rows in the new store")
			s.Close()

			// The new items copied into the old store.
			rotationSQL(t, filepath.Join(before, "app.rot.db"), file, copyInItems...)
			s = rotationOpen(t, before)
			if old != nil {
				if err := s.Unlock(ctx, []byte("1234")); err != nil {
					t.Fatal(err)
				}
			}
			rotationCheck(t, s, "new items in the old store")
			s.Close()
		})
	}
}

// TestStaleHandle is the case 4: handle B unlocked, handle A
// removes (or changes) the passcode; B's writes under its stale keys fail
// with a typed error and write nothing.
func TestStaleHandle(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	for _, change := range []string{"remove", "change"} {
		t.Run(change, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			a, b := rotationOpen(t, dir), rotationOpen(t, dir)
			defer a.Close()
			defer b.Close()
			if err := a.SetPasscode(ctx, nil, []byte("1234")); err != nil {
				t.Fatal(err)
			}
			if err := b.Unlock(ctx, []byte("1234")); err != nil {
				t.Fatal(err)
			}
			if err := b.SetItem(ctx, "wu", "v1", &securestore.Options{KeychainAccessible: securestore.WhenUnlocked}); err != nil {
				t.Fatal(err)
			}
			newPasscode, class, want := []byte(nil), securestore.WhenPasscodeSetThisDeviceOnly, securestore.ErrNoPasscode
			if change == "change" {
				newPasscode, class, want = []byte("5678"), securestore.AfterFirstUnlock, securestore.ErrLocked
			}
			if err := a.SetPasscode(ctx, []byte("1234"), newPasscode); err != nil {
				t.Fatal(err)
			}
			opts := &securestore.Options{KeychainAccessible: class}
			if err := b.SetItem(ctx, "stale", "lost?", opts); !errors.Is(err, want) {
				t.Fatalf("B's write under a stale key: %v, want %v", err, want)
			}
			if ok, err := a.HasItem(ctx, "stale", opts); err != nil || ok {
				t.Fatalf("the refused write left an item: %v, %v", ok, err)
			}
			// B's reads of the re-sealed items: locked after a change,
			// readable (under the device key) after a removal.
			v, err := b.GetItem(ctx, "wu", nil)
			if change == "change" && !errors.Is(err, securestore.ErrLocked) {
				t.Fatalf("B reads a re-sealed item after a change: %q, %v", v, err)
			}
			if change == "remove" && (err != nil || v != "v1") {
				t.Fatalf("B reads an item after the passcode's removal: %q, %v", v, err)
			}
		})
	}
}
