package securestore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/testonly"
	"github.com/securestore-go/securestore/protector"
)

// The store side of a passcode bound to the protector's hardware
// (protector.PasscodeBinder), with testBinder standing in for the TPM; the
// real TPM's test is passcode_binding_tpm_test.go.

func init() { protector.Register(testBinder{}, protector.PreferenceFallback+1000) }

// testBinder is testKMS (for the device key) plus a PasscodeBinder whose
// "hardware" is a fakeTPM per store directory: it keeps the sealed
// secrets, counts wrong auths and locks out after maxTries of them, like
// the TPM's dictionary-attack protection.
type testBinder struct{ testKMS }

func (testBinder) Name() string { return "test-binder" }

type fakeTPM struct {
	mu       sync.Mutex
	objects  map[string]fakeObject // by blob
	failures int                   // wrong auths, as the TPM's lockout counter
	maxTries int
	binds    int
	unseals  int  // UnsealPasscode calls
	garble   bool // return a wrong secret for the right auth
}

type fakeObject struct{ authHash, secret []byte }

var fakeTPMs sync.Map // scope.Dir → *fakeTPM

func fakeTPMFor(dir string) *fakeTPM {
	f, _ := fakeTPMs.LoadOrStore(dir, &fakeTPM{objects: map[string]fakeObject{}, maxTries: 3})
	return f.(*fakeTPM)
}

func (testBinder) BindPasscode(_ context.Context, scope protector.Scope, auth []byte) ([]byte, []byte, error) {
	f := fakeTPMFor(scope.Dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(auth) != 32 {
		return nil, nil, fmt.Errorf("test-binder: auth of %d bytes", len(auth))
	}
	id, secret := make([]byte, 8), make([]byte, 32)
	rand.Read(id)
	rand.Read(secret)
	h := sha256.Sum256(auth)
	f.objects[hex.EncodeToString(id)] = fakeObject{authHash: h[:], secret: secret}
	f.binds++
	return id, bytes.Clone(secret), nil
}

func (testBinder) UnsealPasscode(_ context.Context, scope protector.Scope, blob, auth []byte) ([]byte, error) {
	f := fakeTPMFor(scope.Dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unseals++
	if f.failures >= f.maxTries {
		return nil, fmt.Errorf("test-binder: %w", protector.ErrLockedOut)
	}
	o, ok := f.objects[hex.EncodeToString(blob)]
	if !ok {
		return nil, fmt.Errorf("test-binder: %w", protector.ErrKeyMissing)
	}
	if h := sha256.Sum256(auth); !bytes.Equal(h[:], o.authHash) {
		f.failures++
		return nil, fmt.Errorf("test-binder: %w", protector.ErrWrongAuth)
	}
	if f.garble {
		return bytes.Repeat([]byte{1}, 32), nil
	}
	return bytes.Clone(o.secret), nil
}

func (f *fakeTPM) get(what *int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *what
}

func (f *fakeTPM) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// bindingRow reads (or, with put, writes; nil deletes) the passcode
// binding meta row of a closed store's database.
func bindingRow(t *testing.T, path string, put *[]byte) []byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if put != nil {
		if *put == nil {
			_, err = db.Exec(`DELETE FROM meta WHERE name = 'passcode_binding'`)
		} else {
			_, err = db.Exec(`INSERT OR REPLACE INTO meta (name, value) VALUES ('passcode_binding', ?)`, *put)
		}
		if err != nil {
			t.Fatal(err)
		}
		return nil
	}
	var v []byte
	err = db.QueryRow(`SELECT value FROM meta WHERE name = 'passcode_binding'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPasscodeBinding: with a protector that binds passcodes, every
// passcode attempt goes through it; a wrong passcode is ErrWrongPasscode
// and counted by the "hardware"; the KEK depends on the bound secret; a
// lockout is ErrLocked wrapping protector.ErrLockedOut (not
// ErrWrongPasscode) and ends with the hardware's reset; a change binds
// anew; deleting the binding row unlocks nothing; removing the passcode
// drops the binding.
func TestPasscodeBinding(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	dir := filepath.Join(t.TempDir(), "store")
	path := filepath.Join(dir, "app.bind.db")
	fc := &fakeClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	open := func() *Store {
		t.Helper()
		s, err := Open(ctx, Config{App: "bind", Dir: dir, Protector: "test-binder"})
		if err != nil {
			t.Fatal(err)
		}
		s.clock = fc.clock()
		return s
	}
	wu := &Options{KeychainAccessible: WhenUnlocked}
	s := open()
	if err := s.SetItem(ctx, "wu", "secret value", wu); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	f := fakeTPMFor(dir)
	if n := f.get(&f.binds); n != 1 {
		t.Fatalf("SetPasscode bound %d secrets; want 1", n)
	}
	s.Close()
	row := bindingRow(t, path, nil)
	if want := append([]byte{1, byte(len("test-binder"))}, "test-binder"...); !bytes.HasPrefix(row, want) || len(row) != len(want)+8 {
		t.Fatalf("passcode_binding row = %x; want %x followed by the 8-byte blob", row, want)
	}

	s = open()
	defer func() { s.Close() }()
	unseals := f.get(&f.unseals)
	if err := s.Unlock(ctx, []byte("0000")); !errors.Is(err, ErrWrongPasscode) {
		t.Fatalf("Unlock with a wrong passcode = %v; want ErrWrongPasscode", err)
	}
	if n := f.get(&f.failures); n != 1 {
		t.Fatalf("the binder counted %d wrong passcodes; want 1", n)
	}
	if err := s.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatalf("Unlock with the right passcode: %v", err)
	}
	if n := f.get(&f.unseals) - unseals; n != 2 {
		t.Fatalf("2 Unlocks asked the binder %d times", n)
	}
	if v, err := s.GetItem(ctx, "wu", wu); err != nil || v != "secret value" {
		t.Fatalf("GetItem after Unlock = %q, %v", v, err)
	}

	// The KEK depends on the secret: the right passcode with another
	// secret opens nothing.
	s.Lock()
	f.set(func() { f.garble = true })
	if err := s.Unlock(ctx, []byte("1234")); !errors.Is(err, ErrWrongPasscode) {
		t.Fatalf("Unlock with the right passcode and a wrong bound secret = %v; want ErrWrongPasscode", err)
	}
	f.set(func() { f.garble = false })

	// Lockout: refused whatever the passcode, as ErrLocked, not as wrong.
	f.set(func() { f.failures = f.maxTries })
	for _, pc := range []string{"1234", "9999"} {
		err := s.Unlock(ctx, []byte(pc))
		if !errors.Is(err, ErrLocked) || !errors.Is(err, protector.ErrLockedOut) || errors.Is(err, ErrWrongPasscode) {
			t.Fatalf("Unlock(%s) in lockout = %v; want ErrLocked wrapping protector.ErrLockedOut, not ErrWrongPasscode", pc, err)
		}
		if !s.Locked() {
			t.Fatal("the store unlocked in lockout")
		}
	}
	f.set(func() { f.failures = 0 }) // the owner resets the lockout
	fc.takeSleeps()
	if err := s.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatalf("Unlock after the lockout's reset: %v", err)
	}
	// The store's own record counted the garbled and the locked-out
	// attempts too: three in a row, so this one waited first.
	if slept := fc.takeSleeps(); len(slept) != 1 || slept[0] != time.Second {
		t.Fatalf("after 3 failed attempts the store waited %v; want [1s]", slept)
	}

	// A change binds a new secret; the old passcode no longer unlocks.
	if err := s.SetPasscode(ctx, []byte("1234"), []byte("5678")); err != nil {
		t.Fatal(err)
	}
	if n := f.get(&f.binds); n != 2 {
		t.Fatalf("after a change, %d secrets were bound; want 2", n)
	}
	s.Lock()
	if err := s.Unlock(ctx, []byte("1234")); !errors.Is(err, ErrWrongPasscode) {
		t.Fatalf("Unlock with the old passcode after a change = %v", err)
	}
	if err := s.Unlock(ctx, []byte("5678")); err != nil {
		t.Fatalf("Unlock with the new passcode: %v", err)
	}
	s.Close()

	// Deleting the binding row does not downgrade the store to a passcode
	// checkable without the binder: its keys are wrapped under the bound KEK.
	row = bindingRow(t, path, nil)
	bindingRow(t, path, new([]byte))
	s = open()
	unseals = f.get(&f.unseals)
	if err := s.Unlock(ctx, []byte("5678")); !errors.Is(err, ErrWrongPasscode) {
		t.Fatalf("Unlock without the binding row = %v; want ErrWrongPasscode", err)
	}
	if f.get(&f.unseals) != unseals {
		t.Fatal("Unlock asked the binder without a binding row")
	}
	s.Close()
	bindingRow(t, path, &row)
	s = open()
	if err := s.Unlock(ctx, []byte("5678")); err != nil {
		t.Fatalf("Unlock with the binding row back: %v", err)
	}

	// Removing the passcode drops the binding; the items stay readable.
	if err := s.SetPasscode(ctx, []byte("5678"), nil); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetItem(ctx, "wu", wu); err != nil || v != "secret value" {
		t.Fatalf("GetItem after the passcode's removal = %q, %v", v, err)
	}
	s.Close()
	if row := bindingRow(t, path, nil); row != nil {
		t.Fatalf("the binding row outlived the passcode: %x", row)
	}
	s = open()
	if s.Locked() {
		t.Fatal("a store without a passcode reports Locked")
	}
}

// TestPasscodeNoBinder: a protector that cannot bind passcodes (file)
// keeps the v1 derivation and writes no binding row.
func TestPasscodeNoBinder(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	dir := filepath.Join(t.TempDir(), "store")
	s, err := Open(ctx, Config{App: "nobind", Dir: dir, Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if err := s.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if row := bindingRow(t, filepath.Join(dir, "app.nobind.db"), nil); row != nil {
		t.Fatalf("a file-protector store has a binding row: %x", row)
	}
}
