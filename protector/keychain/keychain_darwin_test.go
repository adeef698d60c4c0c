package keychain

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/protector"
)

// These tests need a real, unlocked login keychain: a Mac with a user
// session. CI cannot run them (it cross-compiles and vets them); run them
// on a Mac with: go test -run Keychain ./protector/
func keychainOrSkip(t *testing.T) {
	t.Helper()
	if err := (keychainProtector{}).Available(context.Background()); err != nil {
		servicetest.Missing(t, "the macOS login keychain", err.Error(), "a logged-in macOS session")
	}
}

func TestKeychainRoundTripAndRemove(t *testing.T) {
	keychainOrSkip(t)
	ctx := context.Background()
	scope := protector.Scope{Dir: t.TempDir(), Store: "app:securestore-test"}
	key := bytes.Repeat([]byte{0x42}, 32)
	blob, err := keychainProtector{}.Wrap(ctx, scope, key)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, key) {
		t.Fatal("the blob holds the key")
	}
	got, err := keychainProtector{}.Unwrap(ctx, scope, blob)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Unwrap = %v (same key %v)", err, bytes.Equal(got, key))
	}
	if _, err := (keychainProtector{}).Unwrap(ctx, protector.Scope{Dir: scope.Dir, Store: "app:other"}, blob); !errors.Is(err, protector.ErrKeyMissing) {
		t.Fatalf("Unwrap as another store: %v, want protector.ErrKeyMissing", err)
	}
	altered := bytes.Clone(blob)
	altered[0] ^= 1
	if _, err := (keychainProtector{}).Unwrap(ctx, scope, altered); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("Unwrap of an altered blob: %v, want protector.ErrKeyCorrupt", err)
	}
	if err := (keychainProtector{}).Remove(ctx, scope, blob); err != nil {
		t.Fatal(err)
	}
	if _, err := (keychainProtector{}).Unwrap(ctx, scope, blob); !errors.Is(err, protector.ErrKeyMissing) {
		t.Fatalf("Unwrap after Remove: %v, want protector.ErrKeyMissing", err)
	}
	if err := (keychainProtector{}).Remove(ctx, scope, blob); err != nil {
		t.Fatalf("a second Remove: %v, want nil (already gone)", err)
	}
}
