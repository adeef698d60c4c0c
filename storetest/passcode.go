package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/securestore-go/securestore"
)

// The passcode cases: the class × lock-state matrix of docs/SECURITY.md for
// every operation, and passcode set, change and removal.

var (
	alwaysClasses   = []securestore.Accessibility{securestore.Always, securestore.AlwaysThisDeviceOnly}
	afterFirstClass = []securestore.Accessibility{securestore.AfterFirstUnlock, securestore.AfterFirstUnlockThisDeviceOnly}
	unlockedClasses = []securestore.Accessibility{securestore.WhenUnlocked, securestore.WhenUnlockedThisDeviceOnly, securestore.WhenPasscodeSetThisDeviceOnly}
)

func pass(s string) []byte { return []byte(s) }

func classKey(c securestore.Accessibility) string { return "item." + c.String() }

func classValue(c securestore.Accessibility) string { return "value of " + c.String() }

// fillClasses stores one item of every class.
func fillClasses(t *testing.T, st *securestore.Store) {
	t.Helper()
	for _, c := range allClasses {
		mustSet(t, st, classKey(c), classValue(c), &securestore.Options{KeychainAccessible: c})
	}
}

// wantClassState checks that get and set of class c work, or fail with
// want (and then change nothing), and that HasItem, which needs no class
// key, works either way.
func wantClassState(t *testing.T, st *securestore.Store, c securestore.Accessibility, want error) {
	t.Helper()
	opts := &securestore.Options{KeychainAccessible: c}
	got, err := st.GetItem(ctx, classKey(c), nil)
	wantAppended(t, st, classKey(c), got, err, nil)
	if want == nil {
		if err != nil || got != classValue(c) {
			t.Fatalf("GetItem %v = %.30q, %v; want its value", c, got, err)
		}
		mustSet(t, st, classKey(c), classValue(c), opts)
	} else {
		wantErr(t, "GetItem "+c.String(), err, want)
		if got != "" {
			t.Fatalf("GetItem %v returned %d bytes with an error", c, len(got))
		}
		wantErr(t, "SetItem "+c.String(), st.SetItem(ctx, classKey(c), "overwritten while locked", opts), want)
		wantErr(t, "SetItem new "+c.String(), st.SetItem(ctx, "new."+c.String(), "v", opts), want)
		if ok, _ := st.HasItem(ctx, "new."+c.String(), nil); ok {
			t.Fatalf("a refused SetItem of %v stored an item", c)
		}
	}
	if ok, err := st.HasItem(ctx, classKey(c), nil); err != nil || !ok {
		t.Fatalf("HasItem %v = %v, %v", c, ok, err)
	}
}

func testPasscodeSetLeavesUnlocked(t *testing.T, s *suite) {
	st := s.store("com.example.passcode")
	if st.Locked() {
		t.Fatal("a store without a passcode reports Locked")
	}
	if err := st.SetPasscode(ctx, nil, pass("1234")); err != nil {
		t.Fatal(err)
	}
	if st.Locked() {
		t.Fatal("setting a passcode locked the store; its owner just proved it")
	}
	fillClasses(t, st) // every class works, WhenPasscodeSetThisDeviceOnly included
	for _, c := range allClasses {
		wantClassState(t, st, c, nil)
	}
}

func testLockStates(t *testing.T, s *suite) {
	cfg := securestore.Config{App: "com.example.locks", Dir: s.dir}
	st := s.storeWith(cfg)
	if err := st.SetPasscode(ctx, nil, pass("1234")); err != nil {
		t.Fatal(err)
	}
	fillClasses(t, st)
	st.Close()

	// Opened and not yet unlocked: only the Always classes.
	st = s.storeWith(cfg)
	if !st.Locked() {
		t.Fatal("a store with a passcode opened unlocked")
	}
	for _, c := range alwaysClasses {
		wantClassState(t, st, c, nil)
	}
	for _, c := range append(append([]securestore.Accessibility{}, afterFirstClass...), unlockedClasses...) {
		wantClassState(t, st, c, securestore.ErrLocked)
	}
	wantKeys(t, st, nil, sortedClassKeys()...)

	// Unlocked: everything.
	if err := st.Unlock(ctx, pass("1234")); err != nil {
		t.Fatal(err)
	}
	if st.Locked() {
		t.Fatal("Locked after Unlock")
	}
	for _, c := range allClasses {
		wantClassState(t, st, c, nil)
	}

	// Locked again: the WhenUnlocked classes go, AfterFirstUnlock stays.
	if err := st.Lock(); err != nil {
		t.Fatal(err)
	}
	if !st.Locked() {
		t.Fatal("not Locked after Lock")
	}
	for _, c := range append(append([]securestore.Accessibility{}, alwaysClasses...), afterFirstClass...) {
		wantClassState(t, st, c, nil)
	}
	for _, c := range unlockedClasses {
		wantClassState(t, st, c, securestore.ErrLocked)
	}

	// DeleteItem works while locked.
	if err := st.DeleteItem(ctx, classKey(securestore.WhenUnlocked), nil); err != nil {
		t.Fatalf("DeleteItem while locked: %v", err)
	}
	wantAbsent(t, st, classKey(securestore.WhenUnlocked), nil)

	// A new Store is a new "boot": AfterFirstUnlock is locked again.
	st.Close()
	st = s.storeWith(cfg)
	for _, c := range afterFirstClass {
		wantClassState(t, st, c, securestore.ErrLocked)
	}
}

func sortedClassKeys() []string {
	return []string{
		"item.AfterFirstUnlock", "item.AfterFirstUnlockThisDeviceOnly", "item.Always",
		"item.AlwaysThisDeviceOnly", "item.WhenPasscodeSetThisDeviceOnly",
		"item.WhenUnlocked", "item.WhenUnlockedThisDeviceOnly",
	}
}

func testWrongPasscode(t *testing.T, s *suite) {
	cfg := securestore.Config{App: "com.example.wrong", Dir: s.dir}
	st := s.storeWith(cfg)
	if err := st.Unlock(ctx, pass("1234")); !errors.Is(err, securestore.ErrNoPasscode) {
		t.Fatalf("Unlock without a passcode: %v, want ErrNoPasscode", err)
	}
	if err := st.SetPasscode(ctx, nil, pass("1234")); err != nil {
		t.Fatal(err)
	}
	mustSet(t, st, "k", "v", nil)
	st.Close()
	st = s.storeWith(cfg)
	// A few wrong passcodes in a row cost no delay (the growing delay after
	// them is tested with a fake clock in package securestore), and the
	// right one resets the count.
	wantErr(t, "Unlock(wrong)", st.Unlock(ctx, pass("12345")), securestore.ErrWrongPasscode)
	if !st.Locked() {
		t.Fatal("a wrong passcode unlocked the store")
	}
	// Changing or removing needs the current passcode.
	wantErr(t, "SetPasscode with no old", st.SetPasscode(ctx, nil, pass("9999")), securestore.ErrWrongPasscode)
	if err := st.Unlock(ctx, pass("1234")); err != nil {
		t.Fatalf("the right passcode after wrong ones: %v", err)
	}
	wantErr(t, "remove with a wrong old", st.SetPasscode(ctx, pass("0000"), nil), securestore.ErrWrongPasscode)
	wantValue(t, st, "k", "v", nil)
	if err := st.SetPasscode(ctx, pass("1234"), nil); err != nil {
		t.Fatalf("remove with the right old: %v", err)
	}
}

func testChangePasscode(t *testing.T, s *suite) {
	cfg := securestore.Config{App: "com.example.change", Dir: s.dir}
	st := s.storeWith(cfg)
	if err := st.SetPasscode(ctx, nil, pass("old")); err != nil {
		t.Fatal(err)
	}
	fillClasses(t, st)
	if err := st.SetPasscode(ctx, pass("old"), pass("new")); err != nil {
		t.Fatal(err)
	}
	for _, c := range allClasses {
		wantClassState(t, st, c, nil)
	}
	st.Close()
	st = s.storeWith(cfg)
	wantErr(t, "Unlock with the old passcode", st.Unlock(ctx, pass("old")), securestore.ErrWrongPasscode)
	if err := st.Unlock(ctx, pass("new")); err != nil {
		t.Fatal(err)
	}
	for _, c := range allClasses {
		wantClassState(t, st, c, nil) // every item survived the change
	}
}

func testRemovePasscode(t *testing.T, s *suite) {
	cfg := securestore.Config{App: "com.example.remove", Dir: s.dir}
	st := s.storeWith(cfg)
	wantErr(t, "change without a passcode", st.SetPasscode(ctx, pass("x"), pass("y")), securestore.ErrNoPasscode)
	if err := st.SetPasscode(ctx, nil, nil); err != nil {
		t.Fatalf("removing a passcode that is not set: %v", err)
	}
	if err := st.SetPasscode(ctx, nil, pass("1234")); err != nil {
		t.Fatal(err)
	}
	fillClasses(t, st)
	if err := st.SetPasscode(ctx, pass("1234"), nil); err != nil {
		t.Fatal(err)
	}
	wps := securestore.WhenPasscodeSetThisDeviceOnly
	if ok, _ := st.HasItem(ctx, classKey(wps), nil); ok {
		t.Fatal("removing the passcode kept a WhenPasscodeSetThisDeviceOnly item")
	}
	wantErr(t, "SetItem WhenPasscodeSet after removal",
		st.SetItem(ctx, "k", "v", &securestore.Options{KeychainAccessible: wps}), securestore.ErrNoPasscode)
	st.Close()
	st = s.storeWith(cfg)
	if st.Locked() {
		t.Fatal("a store whose passcode was removed opens locked")
	}
	for _, c := range allClasses {
		if c != wps {
			wantClassState(t, st, c, nil)
		}
	}
	wantAbsent(t, st, classKey(wps), nil)
}

func testPasscodeWiped(t *testing.T, s *suite) {
	st := s.store("com.example.wipe")
	old, new := pass("first"), pass("second")
	if err := st.SetPasscode(ctx, nil, old); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, make([]byte, len(old))) {
		t.Fatal("SetPasscode left the new passcode in the caller's slice")
	}
	old = pass("first")
	if err := st.SetPasscode(ctx, old, new); err != nil {
		t.Fatal(err)
	}
	u := pass("second")
	if err := st.Unlock(ctx, u); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"old": old, "new": new, "unlock": u} {
		if !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("the %s passcode was not wiped", name)
		}
	}
}

func testPasscodeClosed(t *testing.T, s *suite) {
	st, err := s.open(openCtx, securestore.Config{App: "com.example.closed", Dir: s.dir})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	wantErr(t, "SetPasscode", st.SetPasscode(ctx, nil, pass("1")), securestore.ErrClosed)
	wantErr(t, "Unlock", st.Unlock(ctx, pass("1")), securestore.ErrClosed)
	wantErr(t, "Lock", st.Lock(), securestore.ErrClosed)
	if !st.Locked() {
		t.Error("a closed store reports unlocked")
	}
}
