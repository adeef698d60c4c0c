// Package storetest is the conformance suite of securestore: every rule of
// Expo's SecureStore SDK 38 documentation (expo-secure-store) and of
// docs/SECURITY.md that a store must obey, as subtests that any
// configuration can run, the way testing/fstest checks a file system.
//
// A protector, or any other way of opening a store, passes when
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
//			cfg.Protector = "myprotector"
//			return securestore.Open(ctx, cfg)
//		})
//	}
//
// passes. The suite sets App, Dir, AccessGroups and MaxValueBytes; the
// opener may set anything else, and must keep Dir (stores opened with the
// same Dir share their access groups).
//
// Any registered protector works, your own included (see package
// protector for how to write and register one): the suite then checks
// that a store whose device key your protector holds obeys every rule.
// securestore's CI runs it over each built-in protector, with the real
// key store behind it (DPAPI under Wine, for instance). Each case gets a
// fresh directory, removed file by file afterwards, so the suite also runs
// where os.RemoveAll does not (Windows binaries under Wine).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/internal/testonly"
)

// Opener opens a store for cfg.
type Opener func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error)

// Run runs the whole suite, each case a subtest with a fresh directory.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(*testing.T, *suite)
	}{
		{"SetGetDelete", testSetGetDelete},
		{"SetGetDeleteWithService", testSetGetDeleteWithService},
		{"ServiceIsolation", testServiceIsolation},
		{"DefaultServiceIsApp", testDefaultServiceIsApp},
		{"InvalidNames", testInvalidNames},
		{"ValidNames", testValidNames},
		{"EmptyValue", testEmptyValue},
		{"Value1245Bytes", testValue1245Bytes},
		{"ByteLimit", testByteLimit},
		{"SnowmanLimit", testSnowmanLimit},
		{"MaxValueBytesOptIn", testMaxValueBytesOptIn},
		{"BinaryValue", testBinaryValue},
		{"Overwrite", testOverwrite},
		{"DeleteMissing", testDeleteMissing},
		{"HasItem", testHasItem},
		{"Keys", testKeys},
		{"Classes", testClasses},
		{"ClassReplace", testClassReplace},
		{"InvalidAccessibility", testInvalidAccessibility},
		{"AppIsolation", testAppIsolation},
		{"AccessGroups", testAccessGroups},
		{"NotEntitled", testNotEntitled},
		{"Reopen", testReopen},
		{"Closed", testClosed},
		{"CanceledContext", testCanceledContext},
		{"Concurrent", testConcurrent},
		{"PasscodeSetLeavesUnlocked", testPasscodeSetLeavesUnlocked},
		{"LockStates", testLockStates},
		{"WrongPasscode", testWrongPasscode},
		{"ChangePasscode", testChangePasscode},
		{"RemovePasscode", testRemovePasscode},
		{"PasscodeWiped", testPasscodeWiped},
		{"PasscodeClosed", testPasscodeClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// testdir, not t.TempDir: the suite runs under Wine too.
			c.fn(t, &suite{t: t, open: open, dir: filepath.Join(testdir.New(t), "store")})
		})
	}
}

// suite is one case's environment: a fresh store directory.
type suite struct {
	t    *testing.T
	open Opener
	dir  string
}

// store opens app's store in the case's directory, entitled to groups,
// and closes it when the case ends.
func (s *suite) store(app string, groups ...string) *securestore.Store {
	return s.storeWith(securestore.Config{App: app, AccessGroups: groups})
}

func (s *suite) storeWith(cfg securestore.Config) *securestore.Store {
	s.t.Helper()
	cfg.Dir = s.dir
	st, err := s.open(openCtx, cfg)
	if err != nil {
		s.t.Fatalf("open %q: %v", cfg.App, err)
	}
	s.t.Cleanup(func() { st.Close() })
	return st
}

var ctx = context.Background()

// openCtx is the context the suite hands the Opener. The suite sets many
// passcodes, and what it tests does not depend on the key derivation's
// cost: the context asks for cheap derivations in the stores opened with
// it, and in no other store (see internal/testonly).
var openCtx = testonly.WithCheapKDFs(context.Background())

func svc(name string) *securestore.Options { return &securestore.Options{KeychainService: name} }

// mustSet, mustGet and the other helpers fail the case with the item's name
// (never its value, which may be large).
func mustSet(t *testing.T, st *securestore.Store, key, value string, opts *securestore.Options) {
	t.Helper()
	if err := st.SetItem(ctx, key, value, opts); err != nil {
		t.Fatalf("SetItem(%q): %v", key, err)
	}
}

func wantValue(t *testing.T, st *securestore.Store, key, want string, opts *securestore.Options) {
	t.Helper()
	got, err := st.GetItem(ctx, key, opts)
	if err != nil {
		t.Fatalf("GetItem(%q): %v", key, err)
	}
	if got != want {
		t.Fatalf("GetItem(%q) = %d bytes %.40q, want %d bytes %.40q", key, len(got), got, len(want), want)
	}
	wantAppended(t, st, key, want, nil, opts)
}

// wantAppended checks that AppendItem answers what GetItem answered: the
// value after what the buffer held, or the same error and the buffer as
// it was.
func wantAppended(t *testing.T, st *securestore.Store, key, value string, getErr error, opts *securestore.Options) {
	t.Helper()
	dst := []byte("held:")
	got, err := st.AppendItem(ctx, dst, key, opts)
	switch {
	case getErr == nil && (err != nil || string(got) != "held:"+value):
		t.Fatalf("AppendItem(%q) = %d bytes, %v; want GetItem's %d-byte value after the buffer", key, len(got), err, len(value))
	case getErr != nil && (err == nil || err.Error() != getErr.Error() || string(got) != "held:"):
		t.Fatalf("AppendItem(%q) = %d bytes, %v; want GetItem's error %v and the buffer as it was", key, len(got), err, getErr)
	}
}

func wantAbsent(t *testing.T, st *securestore.Store, key string, opts *securestore.Options) {
	t.Helper()
	got, err := st.GetItem(ctx, key, opts)
	if !errors.Is(err, securestore.ErrNotFound) {
		t.Fatalf("GetItem(%q) = %.40q, %v; want ErrNotFound", key, got, err)
	}
	wantAppended(t, st, key, "", err, opts)
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func wantKeys(t *testing.T, st *securestore.Store, opts *securestore.Options, want ...string) {
	t.Helper()
	got, err := st.Keys(ctx, opts)
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || len(got) != len(want) {
		t.Fatalf("Keys = %q, want %q", got, want)
	}
}

// wantOpsFail checks that every item operation on st, with ctx and opts,
// fails with an error wrapping want.
func wantOpsFail(t *testing.T, ctx context.Context, st *securestore.Store, opts *securestore.Options, want error) {
	t.Helper()
	wantErr(t, "SetItem", st.SetItem(ctx, "k", "v", opts), want)
	_, err := st.GetItem(ctx, "k", opts)
	wantErr(t, "GetItem", err, want)
	wantErr(t, "DeleteItem", st.DeleteItem(ctx, "k", opts), want)
	_, err = st.HasItem(ctx, "k", opts)
	wantErr(t, "HasItem", err, want)
	_, err = st.Keys(ctx, opts)
	wantErr(t, "Keys", err, want)
}

// The first two tests of Expo's SecureStore: set, get and delete one item, with the
// default service and with one named.
func testSetGetDelete(t *testing.T, s *suite)            { setGetDelete(t, s, nil) }
func testSetGetDeleteWithService(t *testing.T, s *suite) { setGetDelete(t, s, svc("service_1")) }

func setGetDelete(t *testing.T, s *suite, opts *securestore.Options) {
	st := s.store("com.example.conformance")
	mustSet(t, st, "key1", "value1", opts)
	wantValue(t, st, "key1", "value1", opts)
	if err := st.DeleteItem(ctx, "key1", opts); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, st, "key1", opts)
}

func testServiceIsolation(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	a, b := svc("service-A"), svc("service-B")
	mustSet(t, st, "shared", "in A", a)
	wantAbsent(t, st, "shared", b)
	wantAbsent(t, st, "shared", nil)
	mustSet(t, st, "shared", "in B", b)
	wantValue(t, st, "shared", "in A", a)
	wantValue(t, st, "shared", "in B", b)
	if err := st.DeleteItem(ctx, "shared", a); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, st, "shared", a)
	wantValue(t, st, "shared", "in B", b)
	wantKeys(t, st, a)
	wantKeys(t, st, b, "shared")
}

func testDefaultServiceIsApp(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	mustSet(t, st, "k", "v", nil)
	wantValue(t, st, "k", "v", &securestore.Options{})
	wantValue(t, st, "k", "v", svc(securestore.DefaultService))
}

var invalidNames = []string{"", " ", "a b", "a/b", `a\b`, "a@b", "a:b", "ключ", "snow☃", "tab\t", "nul\x00", "new\nline", "a+b", "%41", "*"}

func testInvalidNames(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	for _, name := range invalidNames {
		wantErr(t, "SetItem key", st.SetItem(ctx, name, "v", nil), securestore.ErrInvalidKey)
		_, err := st.GetItem(ctx, name, nil)
		wantErr(t, "GetItem key", err, securestore.ErrInvalidKey)
		wantErr(t, "DeleteItem key", st.DeleteItem(ctx, name, nil), securestore.ErrInvalidKey)
		_, err = st.HasItem(ctx, name, nil)
		wantErr(t, "HasItem key", err, securestore.ErrInvalidKey)
		if name == "" {
			continue // "" service means the default one
		}
		wantErr(t, "SetItem service", st.SetItem(ctx, "k", "v", svc(name)), securestore.ErrInvalidKey)
		_, err = st.Keys(ctx, svc(name))
		wantErr(t, "Keys service", err, securestore.ErrInvalidKey)
		err = st.SetItem(ctx, "k", "v", &securestore.Options{AccessGroup: name})
		wantErr(t, "SetItem group", err, securestore.ErrInvalidKey)
		if strings.Contains(err.Error(), name) && len(name) > 1 {
			t.Errorf("error %q repeats the invalid name", err)
		}
		_, err = s.open(openCtx, securestore.Config{App: name, Dir: s.dir})
		wantErr(t, "Open app", err, securestore.ErrInvalidKey)
	}
	wantKeys(t, st, nil) // nothing was stored
}

func testValidNames(t *testing.T, s *suite) {
	st := s.store("com.example.conformance", "group.A-z_0.9")
	names := []string{"a", "Z", "0", ".", "..", "-", "_", "key.with-all_chars.AZaz09", strings.Repeat("k", 500)}
	for _, name := range names {
		for _, opts := range []*securestore.Options{nil, svc(name), {AccessGroup: "group.A-z_0.9"}} {
			mustSet(t, st, name, "value "+name, opts)
			wantValue(t, st, name, "value "+name, opts)
		}
	}
	st2 := s.store("..")
	mustSet(t, st2, "k", "dot-dot app", nil)
	wantValue(t, st2, "k", "dot-dot app", nil)
	wantAbsent(t, s.store("."), "k", nil)
}

func testEmptyValue(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	mustSet(t, st, "empty", "", nil)
	wantValue(t, st, "empty", "", nil)
	if ok, err := st.HasItem(ctx, "empty", nil); err != nil || !ok {
		t.Fatalf("HasItem(empty) = %v, %v; want true: an empty value is not an absent one", ok, err)
	}
}

func testValue1245Bytes(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	v := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 35)[:1245]
	mustSet(t, st, "long", v, nil)
	wantValue(t, st, "long", v, nil)
}

func testByteLimit(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	atLimit := strings.Repeat("x", securestore.DefaultMaxValueBytes)
	mustSet(t, st, "limit", atLimit, nil)
	wantValue(t, st, "limit", atLimit, nil)
	err := st.SetItem(ctx, "limit", atLimit+"y", nil)
	wantErr(t, "SetItem 2049 bytes", err, securestore.ErrValueTooLarge)
	wantValue(t, st, "limit", atLimit, nil) // the old value stays
	wantErr(t, "SetItem 2049 bytes, new key", st.SetItem(ctx, "new", atLimit+"y", nil), securestore.ErrValueTooLarge)
	wantAbsent(t, st, "new", nil)
}

func testSnowmanLimit(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	fits := strings.Repeat("☃", 682) // 2046 bytes
	mustSet(t, st, "snow", fits, nil)
	wantValue(t, st, "snow", fits, nil)
	err := st.SetItem(ctx, "snow", strings.Repeat("☃", 683), nil) // 2049 bytes
	wantErr(t, "SetItem 683 snowmen", err, securestore.ErrValueTooLarge)
	wantValue(t, st, "snow", fits, nil)
}

func testMaxValueBytesOptIn(t *testing.T, s *suite) {
	st := s.storeWith(securestore.Config{App: "com.example.big", MaxValueBytes: 8192})
	big := strings.Repeat("b", 8192)
	mustSet(t, st, "big", big, nil)
	wantValue(t, st, "big", big, nil)
	wantErr(t, "SetItem 8193 bytes", st.SetItem(ctx, "big", big+"b", nil), securestore.ErrValueTooLarge)
	_, err := s.open(openCtx, securestore.Config{App: "x", Dir: s.dir, MaxValueBytes: -1})
	wantErr(t, "Open with MaxValueBytes -1", err, securestore.ErrInvalidOption)
}

func testBinaryValue(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	var b strings.Builder
	for i := 0; i < 256; i++ {
		b.WriteByte(byte(i))
	}
	v := b.String() + "\xff\xfe not UTF-8 \x00 trailing\n"
	mustSet(t, st, "binary", v, nil)
	wantValue(t, st, "binary", v, nil)
}

func testOverwrite(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	mustSet(t, st, "k", "first", nil)
	mustSet(t, st, "k", "second", nil)
	wantValue(t, st, "k", "second", nil)
	wantKeys(t, st, nil, "k")
}

func testDeleteMissing(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	if err := st.DeleteItem(ctx, "never-set", nil); err != nil {
		t.Fatalf("DeleteItem of a missing item: %v, want nil", err)
	}
	mustSet(t, st, "k", "v", nil)
	for i := 0; i < 2; i++ {
		if err := st.DeleteItem(ctx, "k", nil); err != nil {
			t.Fatalf("DeleteItem #%d: %v", i+1, err)
		}
	}
	wantAbsent(t, st, "k", nil)
}

func testHasItem(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	if ok, err := st.HasItem(ctx, "k", nil); err != nil || ok {
		t.Fatalf("HasItem before set = %v, %v", ok, err)
	}
	mustSet(t, st, "k", "v", svc("s"))
	if ok, err := st.HasItem(ctx, "k", svc("s")); err != nil || !ok {
		t.Fatalf("HasItem after set = %v, %v", ok, err)
	}
	if ok, err := st.HasItem(ctx, "k", nil); err != nil || ok {
		t.Fatalf("HasItem under another service = %v, %v", ok, err)
	}
}

func testKeys(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	wantKeys(t, st, nil)
	for _, k := range []string{"zeta", "alpha", "Mid", "beta.2", "beta.10"} {
		mustSet(t, st, k, "v", nil)
	}
	mustSet(t, st, "other", "v", svc("other"))
	wantKeys(t, st, nil, "Mid", "alpha", "beta.10", "beta.2", "zeta")
	wantKeys(t, st, svc("other"), "other")
	if err := st.DeleteItem(ctx, "alpha", nil); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, st, nil, "Mid", "beta.10", "beta.2", "zeta")
}

// allClasses is every Accessibility, in declaration order.
var allClasses = []securestore.Accessibility{
	securestore.WhenUnlocked, securestore.AfterFirstUnlock, securestore.Always,
	securestore.WhenUnlockedThisDeviceOnly, securestore.WhenPasscodeSetThisDeviceOnly,
	securestore.AfterFirstUnlockThisDeviceOnly, securestore.AlwaysThisDeviceOnly,
}

// testClasses: without a passcode every class but WhenPasscodeSetThisDeviceOnly
// stores and reads; that one fails with ErrNoPasscode and stores nothing.
func testClasses(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	for _, c := range allClasses {
		key := "item." + c.String()
		err := st.SetItem(ctx, key, "value of "+c.String(), &securestore.Options{KeychainAccessible: c})
		if c == securestore.WhenPasscodeSetThisDeviceOnly {
			wantErr(t, "SetItem "+c.String(), err, securestore.ErrNoPasscode)
			wantAbsent(t, st, key, nil)
			continue
		}
		if err != nil {
			t.Fatalf("SetItem %v: %v", c, err)
		}
	}
	for _, c := range allClasses {
		if c != securestore.WhenPasscodeSetThisDeviceOnly {
			wantValue(t, st, "item."+c.String(), "value of "+c.String(), nil)
		}
	}
}

// testClassReplace: the class is an attribute, not part of the identity.
func testClassReplace(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	for i, c := range allClasses {
		if c == securestore.WhenPasscodeSetThisDeviceOnly {
			continue
		}
		v := "v" + c.String()
		mustSet(t, st, "k", v, &securestore.Options{KeychainAccessible: c})
		wantValue(t, st, "k", v, &securestore.Options{KeychainAccessible: allClasses[(i+1)%len(allClasses)]})
		wantKeys(t, st, nil, "k")
	}
}

func testInvalidAccessibility(t *testing.T, s *suite) {
	st := s.store("com.example.conformance")
	for _, c := range []securestore.Accessibility{-1, 7, 99} {
		err := st.SetItem(ctx, "k", "v", &securestore.Options{KeychainAccessible: c})
		wantErr(t, "SetItem with "+c.String(), err, securestore.ErrInvalidOption)
	}
	wantAbsent(t, st, "k", nil)
}

func testAppIsolation(t *testing.T, s *suite) {
	a, b := s.store("com.example.a"), s.store("com.example.b")
	mustSet(t, a, "token", "a's token", nil)
	wantAbsent(t, b, "token", nil)
	wantKeys(t, b, nil)
	mustSet(t, b, "token", "b's token", nil)
	wantValue(t, a, "token", "a's token", nil)
	if err := b.DeleteItem(ctx, "token", nil); err != nil {
		t.Fatal(err)
	}
	wantValue(t, a, "token", "a's token", nil)
}

func testAccessGroups(t *testing.T, s *suite) {
	const group = "group.shared"
	a := s.store("com.example.a", group)
	b := s.store("com.example.b", group)
	in := &securestore.Options{AccessGroup: group}
	mustSet(t, a, "own", "a's own", nil)
	wantAbsent(t, a, "own", in) // the app's own item is not in the group
	mustSet(t, a, "shared", "in group", in)
	wantValue(t, a, "shared", "in group", in)
	wantAbsent(t, a, "shared", nil) // the group's item is not in the app's store
	wantValue(t, b, "shared", "in group", in)
	wantAbsent(t, b, "own", in)
	wantKeys(t, b, in, "shared")
	if err := b.DeleteItem(ctx, "shared", in); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, a, "shared", in)
	wantValue(t, a, "own", "a's own", nil)
}

func testNotEntitled(t *testing.T, s *suite) {
	a := s.store("com.example.a", "group.mine")
	s.store("com.example.b", "group.theirs")
	wantOpsFail(t, ctx, a, &securestore.Options{AccessGroup: "group.theirs"}, securestore.ErrNotEntitled)
}

func testReopen(t *testing.T, s *suite) {
	cfg := securestore.Config{App: "com.example.reopen", AccessGroups: []string{"g"}, Dir: s.dir}
	st, err := s.open(openCtx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, st, "k", "persisted", nil)
	mustSet(t, st, "k", "in group", &securestore.Options{AccessGroup: "g", KeychainService: "s"})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = s.storeWith(cfg)
	wantValue(t, st, "k", "persisted", nil)
	wantValue(t, st, "k", "in group", &securestore.Options{AccessGroup: "g", KeychainService: "s"})
}

func testClosed(t *testing.T, s *suite) {
	st, err := s.open(openCtx, securestore.Config{App: "com.example.closed", Dir: s.dir})
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, st, "k", "v", nil)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	wantOpsFail(t, ctx, st, nil, securestore.ErrClosed)
	if err := st.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func testCanceledContext(t *testing.T, s *suite) {
	st := s.store("com.example.canceled")
	mustSet(t, st, "k", "before", nil)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	wantOpsFail(t, canceled, st, nil, context.Canceled)
	_, err := s.open(canceled, securestore.Config{App: "com.example.canceled", Dir: s.dir})
	wantErr(t, "Open", err, context.Canceled)
	wantValue(t, st, "k", "before", nil) // nothing changed
}

func testConcurrent(t *testing.T, s *suite) {
	st := s.store("com.example.concurrent")
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				key := fmt.Sprintf("w%d.i%d", w, i)
				if err := st.SetItem(ctx, key, key+"-value", nil); err != nil {
					errs <- err
					return
				}
				if got, err := st.GetItem(ctx, key, nil); err != nil || got != key+"-value" {
					errs <- errors.Join(err, errors.New("read back "+key+" = "+got))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	keys, err := st.Keys(ctx, nil)
	if err != nil || len(keys) != workers*each {
		t.Fatalf("Keys = %d keys, %v; want %d", len(keys), err, workers*each)
	}
}
