package keyring

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
)

// Tests of what this package adds to go-keyring's cases: the name
// mapping, the size limit, the error identities, where items live, and
// switching between the mock and the store.

// storeDir is a directory for a store that does not exist yet, so that
// securestore creates it 0700 (it refuses t.TempDir()'s 0755).
func storeDir(t *testing.T) string { return filepath.Join(t.TempDir(), "securestore") }

func openTest(t *testing.T, cfg Config) *Store {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = storeDir(t)
	}
	cfg.Protector = "file"
	k, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// TestAnyNames sets items under names outside securestore's alphabet and
// reads them back, and ListUsers gives the names as they were set.
func TestAnyNames(t *testing.T) {
	k := openTest(t, Config{})
	services := []string{"", "_", "my service", "https://example.com/a?b=c", "ünïcödé", "\x00\xff"}
	users := []string{"alice@example.com", "_5F", "_", "a/b/../c", "é", "plain", "\n"}
	for _, s := range services {
		for _, u := range users {
			if err := k.Set(s, u, s+"|"+u); err != nil {
				t.Fatalf("Set(%q, %q): %v", s, u, err)
			}
		}
	}
	want := slices.Clone(users)
	slices.Sort(want)
	for _, s := range services {
		for _, u := range users {
			if got, err := k.Get(s, u); err != nil || got != s+"|"+u {
				t.Errorf("Get(%q, %q) = %q, %v", s, u, got, err)
			}
		}
		if s == "" {
			continue // ListUsers("") is empty by go-keyring's rule
		}
		got, err := k.ListUsers(s)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ListUsers(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
}

// TestEmptyNames: the empty service and user are stored like any other,
// ListUsers leaves out the empty user (go-keyring's backends do), and
// ListUsers("") / DeleteAll("") are go-keyring's no-ops.
func TestEmptyNames(t *testing.T) {
	k := openTest(t, Config{})
	for _, su := range [][2]string{{"", ""}, {"", "u"}, {"s", ""}, {"s", "u"}} {
		if err := k.Set(su[0], su[1], "v"); err != nil {
			t.Fatal(err)
		}
	}
	if users, err := k.ListUsers("s"); err != nil || !slices.Equal(users, []string{"u"}) {
		t.Errorf("ListUsers(s) = %q, %v; want [u]", users, err)
	}
	if users, err := k.ListUsers(""); err != nil || users == nil || len(users) != 0 {
		t.Errorf("ListUsers(\"\") = %#v, %v; want an empty, non-nil list", users, err)
	}
	if err := k.DeleteAll(""); err != ErrNotFound {
		t.Errorf("DeleteAll(\"\") = %v, want ErrNotFound", err)
	}
	for _, su := range [][2]string{{"", ""}, {"", "u"}, {"s", ""}} {
		if _, err := k.Get(su[0], su[1]); err != nil {
			t.Errorf("Get(%q, %q) after DeleteAll(\"\"): %v", su[0], su[1], err)
		}
	}
	if err := k.DeleteAll("s"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get("s", ""); err != ErrNotFound {
		t.Errorf("Get(s, \"\") after DeleteAll(s) = %v, want ErrNotFound", err)
	}
	if _, err := k.Get("", "u"); err != nil {
		t.Errorf("DeleteAll(s) reached service \"\": %v", err)
	}
}

// TestSetDataTooBig: the limit is inclusive, a rejected Set returns
// ErrSetDataTooBig itself and keeps the old password.
func TestSetDataTooBig(t *testing.T) {
	k := openTest(t, Config{MaxPasswordBytes: 100})
	if err := k.Set("s", "u", strings.Repeat("a", 100)); err != nil {
		t.Fatalf("Set at the limit: %v", err)
	}
	err := k.Set("s", "u", strings.Repeat("b", 101))
	if err != ErrSetDataTooBig {
		t.Fatalf("Set above the limit = %v, want ErrSetDataTooBig", err)
	}
	if !errors.Is(err, securestore.ErrValueTooLarge) {
		t.Error("ErrSetDataTooBig does not match securestore.ErrValueTooLarge")
	}
	if got, _ := k.Get("s", "u"); got != strings.Repeat("a", 100) {
		t.Errorf("a rejected Set changed the password to %d bytes", len(got))
	}
}

func TestDefaultLimit(t *testing.T) {
	k := openTest(t, Config{})
	if err := k.Set("s", "u", strings.Repeat("x", DefaultMaxPasswordBytes)); err != nil {
		t.Fatalf("Set of DefaultMaxPasswordBytes: %v", err)
	}
	if err := k.Set("s", "u", strings.Repeat("x", DefaultMaxPasswordBytes+1)); err != ErrSetDataTooBig {
		t.Fatalf("Set of DefaultMaxPasswordBytes+1 = %v, want ErrSetDataTooBig", err)
	}
}

func TestNotFoundIdentity(t *testing.T) {
	k := openTest(t, Config{})
	_, err := k.Get("s", "nobody")
	if err != ErrNotFound || !errors.Is(err, securestore.ErrNotFound) {
		t.Errorf("Get of a missing item = %v; want ErrNotFound, matching securestore.ErrNotFound", err)
	}
	if err := k.Delete("s", "nobody"); err != ErrNotFound {
		t.Errorf("Delete of a missing item = %v, want ErrNotFound", err)
	}
	if errors.Is(ErrNotFound, securestore.ErrValueTooLarge) || errors.Is(ErrSetDataTooBig, securestore.ErrNotFound) {
		t.Error("a sentinel matches the wrong securestore error")
	}
}

// TestLayout: items are in app DefaultApp, with the encoded service as
// securestore's service and the encoded user as the key, so two programs
// that open the same directory share them, as they shared a keyring.
func TestLayout(t *testing.T) {
	dir := storeDir(t)
	a := openTest(t, Config{Dir: dir})
	b := openTest(t, Config{Dir: dir})
	if err := a.Set("my service", "alice@example.com", "pw"); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get("my service", "alice@example.com"); err != nil || got != "pw" {
		t.Errorf("second Store: Get = %q, %v", got, err)
	}
	ctx := context.Background()
	s, err := securestore.Open(ctx, securestore.Config{App: DefaultApp, Dir: dir, Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opts := &securestore.Options{KeychainService: "my_20service"}
	if got, err := s.GetItem(ctx, "alice_40example.com", opts); err != nil || got != "pw" {
		t.Errorf("securestore: GetItem = %q, %v", got, err)
	}
	// A key that is not an encoding (written by other means) is left out
	// of ListUsers but deleted by DeleteAll.
	if err := s.SetItem(ctx, "not_encoded", "x", opts); err != nil {
		t.Fatal(err)
	}
	if users, _ := a.ListUsers("my service"); !slices.Equal(users, []string{"alice@example.com"}) {
		t.Errorf("ListUsers = %q", users)
	}
	if err := a.DeleteAll("my service"); err != nil {
		t.Fatal(err)
	}
	if keys, err := s.Keys(ctx, opts); err != nil || len(keys) != 0 {
		t.Errorf("after DeleteAll: keys %q, %v", keys, err)
	}
	// Another app does not see them.
	c := openTest(t, Config{Dir: dir, App: "other"})
	if err := c.Set("my service", "alice@example.com", "other"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get("my service", "alice@example.com"); err != ErrNotFound {
		t.Errorf("app %q saw app other's item: %v", DefaultApp, err)
	}
}

// TestMockSwitching: MockInit hides the store, MockRestore brings it
// back, MockInitWithError fails every call with its error.
func TestMockSwitching(t *testing.T) {
	if err := Set("switch", "u", "real"); err != nil {
		t.Fatal(err)
	}
	MockInit()
	if _, err := Get("switch", "u"); err != ErrNotFound {
		t.Errorf("mock: Get = %v, want ErrNotFound", err)
	}
	if err := Set("switch", "u", "mocked"); err != nil {
		t.Fatal(err)
	}
	MockRestore()
	if got, err := Get("switch", "u"); err != nil || got != "real" {
		t.Errorf("after MockRestore: Get = %q, %v; want the store's password", got, err)
	}
	boom := errors.New("boom")
	MockInitWithError(boom)
	defer MockRestore()
	if err := Set("switch", "u", "x"); err != boom {
		t.Errorf("Set = %v", err)
	}
	if _, err := Get("switch", "u"); err != boom {
		t.Errorf("Get = %v", err)
	}
	if err := Delete("switch", "u"); err != boom {
		t.Errorf("Delete = %v", err)
	}
	if err := DeleteAll("switch"); err != boom {
		t.Errorf("DeleteAll = %v", err)
	}
	if _, err := ListUsers("switch"); err != boom {
		t.Errorf("ListUsers = %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	if _, err := Open(Config{App: "not an app", Dir: storeDir(t), Protector: "file"}); !errors.Is(err, securestore.ErrInvalidKey) {
		t.Errorf("bad App: %v", err)
	}
	if _, err := Open(Config{Dir: storeDir(t), Protector: "file", MaxPasswordBytes: securestore.MaxValueBytesLimit + 1}); !errors.Is(err, securestore.ErrInvalidOption) {
		t.Errorf("MaxPasswordBytes above the limit: %v", err)
	}
	if _, err := Open(Config{Dir: storeDir(t), Protector: "file", Timeout: -1}); !errors.Is(err, securestore.ErrInvalidOption) {
		t.Errorf("negative Timeout: %v", err)
	}
}

// TestConcurrent: the package-level functions may be called from many
// goroutines at once (go-keyring's may not: its mock is a bare map).
func TestConcurrent(t *testing.T) {
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			user := string(rune('a' + i))
			if err := Set("concurrent", user, user); err != nil {
				errs <- err
				return
			}
			got, err := Get("concurrent", user)
			if err == nil && got != user {
				err = errors.New("read another goroutine's password")
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if users, err := ListUsers("concurrent"); err != nil || len(users) != n {
		t.Errorf("ListUsers = %q, %v; want %d users", users, err, n)
	}
	_ = DeleteAll("concurrent")
}
