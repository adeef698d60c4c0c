package keyring99

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	upstream "github.com/99designs/keyring"
	"github.com/securestore-go/securestore"
)

// Tests of what this package adds to 99designs' cases: bytes and
// metadata that round-trip, the class, the limit, names, and Open.

// Open has 99designs' signature, so that the switch is one import line.
var _ func(upstream.Config) (upstream.Keyring, error) = Open

// storeDir is a directory for a store that does not exist yet, so that
// securestore creates it 0700 (it refuses t.TempDir()'s 0755).
func storeDir(t *testing.T) string { return filepath.Join(t.TempDir(), "securestore") }

func openTest(t *testing.T, cfg StoreConfig) *Store {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = storeDir(t)
	}
	cfg.Protector = "file"
	k, err := OpenStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// TestItemRoundTrip: every byte value in Data, nil and empty Data, and
// every other field come back as they were set.
func TestItemRoundTrip(t *testing.T) {
	k := openTest(t, StoreConfig{Service: "round trip"})
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	items := []Item{
		{Key: "all bytes", Data: all, Label: "L\x00abel", Description: "ünïcödé\n", KeychainNotTrustApplication: true},
		{Key: "nil", Data: nil},
		{Key: "empty", Data: []byte{}, KeychainNotSynchronizable: true},
		{Key: "", Data: []byte("empty key")},
		{Key: "_5F", Data: []byte("looks encoded")},
	}
	for _, it := range items {
		if err := k.Set(it); err != nil {
			t.Fatalf("Set(%q): %v", it.Key, err)
		}
	}
	for _, it := range items {
		got, err := k.Get(it.Key)
		if err != nil {
			t.Fatalf("Get(%q): %v", it.Key, err)
		}
		if !bytes.Equal(got.Data, it.Data) || (got.Data == nil) != (it.Data == nil) {
			t.Errorf("Get(%q).Data = %#v, want %#v", it.Key, got.Data, it.Data)
		}
		got.Data, it.Data = nil, nil
		if !reflect.DeepEqual(got, it) {
			t.Errorf("Get(%q) = %+v, want %+v", it.Key, got, it)
		}
	}
	want := []string{"", "_5F", "all bytes", "empty", "nil"}
	if keys, err := k.Keys(); err != nil || !slices.Equal(keys, want) {
		t.Errorf("Keys = %q, %v; want %q", keys, err, want)
	}
}

func TestGetMetadata(t *testing.T) {
	k := openTest(t, StoreConfig{})
	set := time.Date(2024, 2, 29, 12, 0, 0, 0, time.FixedZone("X", 3600))
	k.now = func() time.Time { return set }
	item := Item{Key: "k", Data: []byte("secret"), Label: "label", Description: "desc", KeychainNotSynchronizable: true}
	if err := k.Set(item); err != nil {
		t.Fatal(err)
	}
	md, err := k.GetMetadata("k")
	if err != nil {
		t.Fatal(err)
	}
	if md.Item == nil {
		t.Fatal("GetMetadata: nil Item")
	}
	want := item
	want.Data = nil
	if !reflect.DeepEqual(*md.Item, want) {
		t.Errorf("GetMetadata Item = %+v, want %+v", *md.Item, want)
	}
	if !md.ModificationTime.Equal(set) {
		t.Errorf("ModificationTime = %v, want %v", md.ModificationTime, set)
	}
	if _, err := k.GetMetadata("missing"); err != ErrKeyNotFound {
		t.Errorf("GetMetadata of a missing key = %v, want ErrKeyNotFound", err)
	}
}

// TestGetMetadataLocked: with a passcode set and the store locked, the
// metadata needs credentials, as 99designs' secret-service backend says.
func TestGetMetadataLocked(t *testing.T) {
	dir := storeDir(t)
	k := openTest(t, StoreConfig{Dir: dir})
	if err := k.Set(Item{Key: "k", Data: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := k.Securestore().SetPasscode(ctx, nil, []byte("correct horse")); err != nil {
		t.Fatal(err)
	}
	if err := k.Securestore().Lock(); err != nil {
		t.Fatal(err)
	}
	if _, err := k.GetMetadata("k"); err != ErrMetadataNeedsCredentials {
		t.Errorf("GetMetadata while locked = %v, want ErrMetadataNeedsCredentials", err)
	}
	if _, err := k.Get("k"); !errors.Is(err, securestore.ErrLocked) {
		t.Errorf("Get while locked = %v, want ErrLocked", err)
	}
}

// TestNotSynchronizableClass: KeychainNotSynchronizable items are
// ThisDeviceOnly, so that they stay out of backups.
func TestNotSynchronizableClass(t *testing.T) {
	k := openTest(t, StoreConfig{})
	if err := k.Set(Item{Key: "local", Data: []byte("x"), KeychainNotSynchronizable: true}); err != nil {
		t.Fatal(err)
	}
	if err := k.Set(Item{Key: "synced", Data: []byte("y")}); err != nil {
		t.Fatal(err)
	}
	info, err := k.Securestore().Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Items[securestore.WhenUnlockedThisDeviceOnly] != 1 || info.Items[securestore.WhenUnlocked] != 1 {
		t.Errorf("items by class = %v, want one WhenUnlockedThisDeviceOnly and one WhenUnlocked", info.Items)
	}
}

func TestDataLimit(t *testing.T) {
	k := openTest(t, StoreConfig{MaxDataBytes: 10})
	if err := k.Set(Item{Key: "k", Data: bytes.Repeat([]byte{0xff}, 10)}); err != nil {
		t.Fatalf("Set at the limit: %v", err)
	}
	err := k.Set(Item{Key: "k", Data: bytes.Repeat([]byte{1}, 11)})
	if !errors.Is(err, securestore.ErrValueTooLarge) {
		t.Fatalf("Set above the limit = %v, want ErrValueTooLarge", err)
	}
	if got, _ := k.Get("k"); !bytes.Equal(got.Data, bytes.Repeat([]byte{0xff}, 10)) {
		t.Errorf("a rejected Set changed Data to %x", got.Data)
	}
	// The default limit, in full: the envelope of DefaultMaxDataBytes fits.
	d := openTest(t, StoreConfig{})
	if err := d.Set(Item{Key: "big", Data: bytes.Repeat([]byte{0xab}, DefaultMaxDataBytes)}); err != nil {
		t.Fatalf("Set of DefaultMaxDataBytes: %v", err)
	}
	if _, err := OpenStore(StoreConfig{Dir: storeDir(t), Protector: "file", MaxDataBytes: MaxDataBytesLimit + 1}); !errors.Is(err, securestore.ErrInvalidOption) {
		t.Errorf("MaxDataBytes above the limit: %v", err)
	}
}

// TestLayout: items are in DefaultApp, under the encoded service and key;
// services are separate keyrings; a value that is no envelope is an
// error that does not quote it.
func TestLayout(t *testing.T) {
	dir := storeDir(t)
	a := openTest(t, StoreConfig{Dir: dir, Service: "svc one"})
	b := openTest(t, StoreConfig{Dir: dir, Service: "svc two"})
	if err := a.Set(Item{Key: "a/b", Data: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get("a/b"); err != ErrKeyNotFound {
		t.Errorf("another service saw the item: %v", err)
	}
	ctx := context.Background()
	s, err := securestore.Open(ctx, securestore.Config{App: DefaultApp, Dir: dir, Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opts := &securestore.Options{KeychainService: "svc_20one"}
	if ok, err := s.HasItem(ctx, "a_2Fb", opts); err != nil || !ok {
		t.Errorf("securestore: HasItem(a_2Fb) = %v, %v", ok, err)
	}
	if err := s.SetItem(ctx, "raw", "not json: hunter2", opts); err != nil {
		t.Fatal(err)
	}
	_, err = a.Get("raw")
	if !errors.Is(err, securestore.ErrCorrupt) {
		t.Errorf("Get of a raw value = %v, want ErrCorrupt", err)
	}
	if err != nil && bytes.Contains([]byte(err.Error()), []byte("hunter2")) {
		t.Errorf("the error quotes the value: %v", err)
	}
	// A name that is no encoding is left out of Keys.
	if err := s.SetItem(ctx, "not_encoded", "{}", opts); err != nil {
		t.Fatal(err)
	}
	if keys, _ := a.Keys(); !slices.Equal(keys, []string{"a/b", "raw"}) {
		t.Errorf("Keys = %q", keys)
	}
}

// TestOpen: 99designs' Open, with the store directory from the
// environment as a program would have it.
func TestOpen(t *testing.T) {
	t.Setenv(securestore.EnvDir, storeDir(t))
	t.Setenv(securestore.EnvProtector, "file")
	kr, err := Open(Config{ServiceName: "my-service", AllowedBackends: []BackendType{FileBackend}})
	if err != nil {
		t.Fatal(err)
	}
	defer kr.(*Store).Close()
	if err := kr.Set(Item{Key: "llamas", Data: []byte("great")}); err != nil {
		t.Fatal(err)
	}
	if it, err := kr.Get("llamas"); err != nil || string(it.Data) != "great" {
		t.Errorf("Get = %+v, %v", it, err)
	}
	if ErrKeyNotFound != upstream.ErrKeyNotFound {
		t.Error("ErrKeyNotFound is not 99designs' value")
	}
}
