package dpapi

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/securestore-go/securestore/protector"
)

// These tests call the real DPAPI: on Windows, or under Wine in CI
// (.ci/with-wine, see .ci/run).

var dpapiScope = protector.Scope{Dir: `C:\store`, Store: "app:com.example.notes"}

func dpapiWrap(t *testing.T, key []byte) []byte {
	t.Helper()
	blob, err := dpapiProtector{}.Wrap(context.Background(), dpapiScope, key)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	return blob
}

func TestDPAPIAvailable(t *testing.T) {
	if err := (dpapiProtector{}).Available(context.Background()); err != nil {
		t.Fatalf("Available: %v", err)
	}
}

func TestDPAPIRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{0xA5, 0x5A, 0x01, 0x02}, 8)
	blob := dpapiWrap(t, key)
	if bytes.Contains(blob, key) {
		t.Fatal("the blob holds the key in clear")
	}
	got, err := dpapiProtector{}.Unwrap(context.Background(), dpapiScope, blob)
	if err != nil {
		t.Fatalf("Unwrap: %v", err)
	}
	if !bytes.Equal(got, key) {
		t.Fatalf("Unwrap returned another key")
	}
	// Two wraps of one key differ: DPAPI salts every blob.
	if bytes.Equal(blob, dpapiWrap(t, key)) {
		t.Fatal("two wraps gave the same blob")
	}
}

// TestDPAPIEntropyBindsScope: the store's identity is DPAPI's entropy, so
// one store's blob does not unprotect as another store's.
func TestDPAPIEntropyBindsScope(t *testing.T) {
	blob := dpapiWrap(t, bytes.Repeat([]byte{7}, 32))
	for _, other := range []protector.Scope{
		{Dir: dpapiScope.Dir, Store: "app:com.example.other"},
		{Dir: dpapiScope.Dir, Store: "group:com.example.notes"},
	} {
		key, err := dpapiProtector{}.Unwrap(context.Background(), other, blob)
		if !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Errorf("Unwrap as %s = %d bytes, %v; want protector.ErrKeyCorrupt", other.Store, len(key), err)
		}
	}
}

// TestDPAPIAlteredBlob: any change to the blob is an error wrapping a
// protector sentinel, never another key.
func TestDPAPIAlteredBlob(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	blob := dpapiWrap(t, key)
	cases := map[string][]byte{
		"empty":     {},
		"truncated": blob[:len(blob)/2],
		"extended":  append(bytes.Clone(blob), 0),
	}
	for name, b := range cases {
		got, err := dpapiProtector{}.Unwrap(context.Background(), dpapiScope, b)
		if err == nil {
			t.Errorf("%s: Unwrap succeeded (same key: %v)", name, bytes.Equal(got, key))
			continue
		}
		if !errors.Is(err, protector.ErrKeyCorrupt) && !errors.Is(err, protector.ErrWrongMachine) {
			t.Errorf("%s: Unwrap error %v wraps no protector sentinel", name, err)
		}
	}
}

// TestDPAPIEveryByteAuthenticated flips each byte of a blob in turn: every
// one must make Unwrap fail with protector.ErrKeyCorrupt. (DPAPI alone does not
// authenticate its whole output under Wine; the blob's own seal does.)
func TestDPAPIEveryByteAuthenticated(t *testing.T) {
	blob := dpapiWrap(t, bytes.Repeat([]byte{5}, 32))
	for i := range blob {
		b := bytes.Clone(blob)
		b[i] ^= 0x80
		if _, err := (dpapiProtector{}).Unwrap(context.Background(), dpapiScope, b); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Fatalf("byte %d of %d flipped: Unwrap = %v, want protector.ErrKeyCorrupt", i, len(blob), err)
		}
	}
}

func TestDPAPIDeadline(t *testing.T) {
	blob := dpapiWrap(t, []byte("k"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (dpapiProtector{}).Wrap(ctx, dpapiScope, []byte("k")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wrap with a canceled context: %v", err)
	}
	if _, err := (dpapiProtector{}).Unwrap(ctx, dpapiScope, blob); !errors.Is(err, context.Canceled) {
		t.Fatalf("Unwrap with a canceled context: %v", err)
	}
}
