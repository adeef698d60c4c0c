package git

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
)

// testHelper returns a Helper on a fresh store of its own, with a clock
// that moves one second each time it is read.
func testHelper(t *testing.T) *Helper {
	t.Helper()
	s, err := securestore.Open(context.Background(), securestore.Config{
		App: DefaultApp, Dir: filepath.Join(t.TempDir(), "store"), Protector: "file",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Unix(1_700_000_000, 0)
	return &Helper{Items: s, App: DefaultApp, Now: func() time.Time { now = now.Add(time.Second); return now }}
}

func parse(t *testing.T, req string) *Credential {
	t.Helper()
	c, err := ParseRequest(strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

func store(t *testing.T, h *Helper, req string) {
	t.Helper()
	if err := h.Store(context.Background(), parse(t, req)); err != nil {
		t.Fatalf("store %q: %v", req, err)
	}
}

func get(t *testing.T, h *Helper, req string) string {
	t.Helper()
	var out strings.Builder
	if err := h.Get(context.Background(), parse(t, req), &out); err != nil {
		t.Fatalf("get %q: %v", req, err)
	}
	return out.String()
}

func erase(t *testing.T, h *Helper, req string) {
	t.Helper()
	if err := h.Erase(context.Background(), parse(t, req)); err != nil {
		t.Fatalf("erase %q: %v", req, err)
	}
}

func count(t *testing.T, h *Helper) int {
	t.Helper()
	keys, err := h.Items.Keys(context.Background(), options)
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

func TestHelperSeveralUsers(t *testing.T) {
	h := testHelper(t)
	store(t, h, "protocol=https\nhost=example.com\nusername=alice\npassword=pa\n")
	store(t, h, "protocol=https\nhost=example.com\nusername=bob\npassword=pb\n")
	store(t, h, "protocol=https\nhost=other.com\nusername=carol\npassword=pc\n")

	// No username: the most recently stored of the host.
	if got := get(t, h, "protocol=https\nhost=example.com\n"); got != "username=bob\npassword=pb\n" {
		t.Errorf("get without username = %q", got)
	}
	if got := get(t, h, "protocol=https\nhost=example.com\nusername=alice\n"); got != "username=alice\npassword=pa\n" {
		t.Errorf("get alice = %q", got)
	}
	if got := get(t, h, "protocol=https\nhost=example.com\nusername=carol\n"); got != "" {
		t.Errorf("get carol at example.com = %q, want nothing", got)
	}
	// Storing alice again makes her the most recent.
	store(t, h, "protocol=https\nhost=example.com\nusername=alice\npassword=pa2\n")
	if got := get(t, h, "protocol=https\nhost=example.com\n"); got != "username=alice\npassword=pa2\n" {
		t.Errorf("get after storing alice again = %q", got)
	}
	if n := count(t, h); n != 3 {
		t.Errorf("%d items, want 3: storing alice again must replace her item", n)
	}
}

func TestHelperMatching(t *testing.T) {
	h := testHelper(t)
	store(t, h, "protocol=https\nhost=example.com:8443\nusername=u\npassword=port\n")
	store(t, h, "protocol=http\nhost=example.com\nusername=u\npassword=http\n")
	store(t, h, "protocol=https\nhost=example.com\npath=org/a.git\nusername=u\npassword=path-a\n")

	tests := []struct{ req, want string }{
		{"protocol=https\nhost=example.com:8443\n", "username=u\npassword=port\n"},
		{"protocol=http\nhost=example.com\n", "username=u\npassword=http\n"},
		{"protocol=https\nhost=example.com\npath=org/a.git\n", "username=u\npassword=path-a\n"},
		// A request without a path matches a stored path (git's rule).
		{"protocol=https\nhost=example.com\n", "username=u\npassword=path-a\n"},
		{"protocol=https\nhost=example.com\npath=org/b.git\n", ""},
		{"protocol=https\nhost=example.com:8444\n", ""},
		{"protocol=ftp\nhost=example.com\n", ""},
		{"protocol=https\nhost=EXAMPLE.com:8443\n", ""},
		// A request with a path does not match a credential without one.
		{"protocol=http\nhost=example.com\npath=x\n", ""},
		// No protocol: nothing (CVE-2020-11008; TestHelperGetNeedsProtocolAndHost).
		{"host=example.com\nusername=u\npath=org/a.git\n", ""},
	}
	for _, tt := range tests {
		if got := get(t, h, tt.req); got != tt.want {
			t.Errorf("get %q = %q, want %q", tt.req, got, tt.want)
		}
	}
}

func TestHelperEmptyUsername(t *testing.T) {
	h := testHelper(t)
	store(t, h, "protocol=https\nhost=h\nusername=\npassword=token-only\n")
	store(t, h, "protocol=https\nhost=h\nusername=u\npassword=pu\n")
	if got := get(t, h, "protocol=https\nhost=h\nusername=\n"); got != "username=\npassword=token-only\n" {
		t.Errorf("get empty username = %q", got)
	}
	erase(t, h, "protocol=https\nhost=h\nusername=\n")
	if got := get(t, h, "protocol=https\nhost=h\n"); got != "username=u\npassword=pu\n" {
		t.Errorf("after erasing the empty username, get = %q", got)
	}
}

func TestHelperStoreIncomplete(t *testing.T) {
	h := testHelper(t)
	for _, req := range []string{
		"host=h\nusername=u\npassword=p\n",
		"protocol=https\nusername=u\npassword=p\n",
		"protocol=https\nhost=h\npassword=p\n",
		"protocol=https\nhost=h\nusername=u\n",
		"",
	} {
		store(t, h, req)
	}
	if n := count(t, h); n != 0 {
		t.Fatalf("incomplete credentials stored %d items", n)
	}
	// A path stands in for the host (certificate passwords).
	store(t, h, "protocol=cert\npath=/etc/client.pem\nusername=\npassword=p\n")
	if got := get(t, h, "protocol=cert\npath=/etc/client.pem\n"); got != "username=\npassword=p\n" {
		t.Errorf("get cert = %q", got)
	}
}

func TestHelperStoreReplacesMatching(t *testing.T) {
	h := testHelper(t)
	store(t, h, "protocol=https\nhost=h\npath=a.git\nusername=u\npassword=old-a\n")
	store(t, h, "protocol=https\nhost=h\npath=b.git\nusername=v\npassword=old-b\n")
	// Without a path, the new credential matches (and replaces) u's
	// credential for a.git, but not v's.
	store(t, h, "protocol=https\nhost=h\nusername=u\npassword=new\n")
	if n := count(t, h); n != 2 {
		t.Errorf("%d items, want 2", n)
	}
	if got := get(t, h, "protocol=https\nhost=h\npath=a.git\n"); got != "" {
		t.Errorf("get a.git = %q, want nothing: it was replaced", got)
	}
	if got := get(t, h, "protocol=https\nhost=h\npath=b.git\n"); got != "username=v\npassword=old-b\n" {
		t.Errorf("get b.git = %q", got)
	}
}

func TestHelperErase(t *testing.T) {
	h := testHelper(t)
	store(t, h, "protocol=https\nhost=h\nusername=a\npassword=pa\n")
	store(t, h, "protocol=https\nhost=h\nusername=b\npassword=pb\n")
	store(t, h, "protocol=https\nhost=other\nusername=a\npassword=po\n")

	erase(t, h, "") // an empty pattern erases nothing
	erase(t, h, "password=pa\n")
	if n := count(t, h); n != 3 {
		t.Fatalf("an erase without protocol, host, path or username removed items: %d left", n)
	}
	// A stale password does not erase the stored one.
	erase(t, h, "protocol=https\nhost=h\nusername=a\npassword=stale\n")
	if got := get(t, h, "protocol=https\nhost=h\nusername=a\n"); got != "username=a\npassword=pa\n" {
		t.Errorf("erase with another password removed the credential: get = %q", got)
	}
	erase(t, h, "protocol=https\nhost=h\nusername=a\npassword=pa\n")
	if got := get(t, h, "protocol=https\nhost=h\nusername=a\n"); got != "" {
		t.Errorf("after erase, get a = %q", got)
	}
	if got := get(t, h, "protocol=https\nhost=h\n"); got != "username=b\npassword=pb\n" {
		t.Errorf("erasing a removed b too: get = %q", got)
	}
	// Without a username, erase removes every user of the host, and
	// nothing of another host.
	store(t, h, "protocol=https\nhost=h\nusername=c\npassword=pc\n")
	erase(t, h, "protocol=https\nhost=h\n")
	if got := get(t, h, "protocol=https\nhost=h\n"); got != "" {
		t.Errorf("after erasing the host, get = %q", got)
	}
	if got := get(t, h, "protocol=https\nhost=other\n"); got != "username=a\npassword=po\n" {
		t.Errorf("erasing h removed other: get = %q", got)
	}
}

func TestHelperExpiry(t *testing.T) {
	h := testHelper(t)
	base := time.Unix(1_700_000_000, 0)
	clock := base
	h.Now = func() time.Time { return clock }

	// Already expired: not stored.
	store(t, h, "protocol=https\nhost=h\nusername=old\npassword=x\npassword_expiry_utc=1699999999\n")
	if n := count(t, h); n != 0 {
		t.Fatalf("an expired credential was stored")
	}
	store(t, h, "protocol=https\nhost=h\nusername=a\npassword=tok\npassword_expiry_utc=1700000100\noauth_refresh_token=ref\n")
	want := "username=a\npassword=tok\npassword_expiry_utc=1700000100\noauth_refresh_token=ref\n"
	if got := get(t, h, "protocol=https\nhost=h\n"); got != want {
		t.Errorf("get before expiry = %q, want %q", got, want)
	}
	clock = base.Add(100 * time.Second)
	if got := get(t, h, "protocol=https\nhost=h\n"); got != "username=a\noauth_refresh_token=ref\n" {
		t.Errorf("get after expiry = %q, want the username and refresh token only", got)
	}
	// An unexpired credential of another user wins over the expired
	// one, although it is older.
	clock = base.Add(-time.Hour)
	store(t, h, "protocol=https\nhost=h\nusername=b\npassword=pb\n")
	clock = base.Add(200 * time.Second)
	if got := get(t, h, "protocol=https\nhost=h\n"); got != "username=b\npassword=pb\n" {
		t.Errorf("get with an expired newer match = %q", got)
	}
}

func TestHelperTooLarge(t *testing.T) {
	h := testHelper(t)
	store(t, h, "protocol=https\nhost=h\nusername=u\npassword=small\n")
	big := "protocol=https\nhost=h\nusername=u\npassword=" + strings.Repeat("s", 2040) + "\n"
	err := h.Store(context.Background(), parse(t, big))
	var tooLarge *credential.TooLargeError
	if !errors.As(err, &tooLarge) || strings.Contains(err.Error(), "sss") {
		t.Fatalf("storing a 2040-byte password: %v", err)
	}
	if got := get(t, h, "protocol=https\nhost=h\n"); got != "username=u\npassword=small\n" {
		t.Errorf("a refused store changed the stored credential: %q", got)
	}
	// The largest password that fits is stored whole.
	for n := 2040; n > 0; n-- {
		c := parse(t, "protocol=https\nhost=h\nusername=u\npassword="+strings.Repeat("s", n)+"\n")
		if err := h.Store(context.Background(), c); err == nil {
			if got := get(t, h, "protocol=https\nhost=h\n"); got != "username=u\npassword="+strings.Repeat("s", n)+"\n" {
				t.Errorf("the largest password that fits (%d bytes) did not come back whole", n)
			}
			return
		}
	}
	t.Fatal("no password fits")
}

// TestHelperGetNeedsProtocolAndHost: a request without protocol, or without
// host and path, or an empty one, is answered with nothing, as git's own
// helpers do since CVE-2020-11008; with both, the credential is found.
func TestHelperGetNeedsProtocolAndHost(t *testing.T) {
	h := testHelper(t)
	store(t, h, "protocol=https\nhost=example.com\nusername=alice\npassword=secret\n")
	for _, req := range []string{"", "host=example.com\n", "protocol=https\n", "username=alice\n"} {
		if got := get(t, h, req); got != "" {
			t.Errorf("get %q answered %q", req, got)
		}
	}
	if got := get(t, h, "protocol=https\nhost=example.com\n"); !strings.Contains(got, "password=secret") {
		t.Fatalf("get with protocol and host answered %q", got)
	}
}
