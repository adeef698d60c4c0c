package oauth2store_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/oauth2store"
	"golang.org/x/oauth2"
)

const testKey = "token"

// openStore opens (creating on first use) the test store in dir.
func openStore(t *testing.T, dir string, maxValue int) *securestore.Store {
	t.Helper()
	s, err := securestore.Open(t.Context(), securestore.Config{
		App: "com.example.cli", Dir: dir, Protector: "file", MaxValueBytes: maxValue,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// countingSource hands out numbered tokens and counts its calls.
type countingSource struct {
	mu    sync.Mutex
	calls int
	life  time.Duration
}

func (c *countingSource) Token() (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return &oauth2.Token{AccessToken: "access-" + string(rune('0'+c.calls)), Expiry: time.Now().Add(c.life)}, nil
}

func (c *countingSource) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

func TestWrapStoresAndReusesAcrossRestarts(t *testing.T) {
	dir := storeDir(t)
	src := &countingSource{life: time.Hour}
	opts := &oauth2store.Options{LockDir: dir}

	s := openStore(t, dir, 0)
	tok, err := oauth2store.Wrap(t.Context(), s, testKey, src, opts).Token()
	if err != nil {
		t.Fatal(err)
	}
	if src.count() != 1 || tok.AccessToken != "access-1" {
		t.Fatalf("first Token: %d calls, token %q; want 1 call, access-1", src.count(), tok.AccessToken)
	}
	s.Close()

	// A restart: a new store handle and a new source find the token.
	s = openStore(t, dir, 0)
	ts := oauth2store.Wrap(t.Context(), s, testKey, src, opts)
	for range 3 {
		if tok, err = ts.Token(); err != nil || tok.AccessToken != "access-1" {
			t.Fatalf("after restart: %v, %v; want access-1", tok, err)
		}
	}
	if src.count() != 1 {
		t.Fatalf("src called %d times; the stored token was valid", src.count())
	}
}

func TestWrapRefreshesExpired(t *testing.T) {
	dir := storeDir(t)
	s := openStore(t, dir, 0)
	// Tokens that expire within oauth2's 10 s delta count as expired.
	src := &countingSource{life: 5 * time.Second}
	ts := oauth2store.Wrap(t.Context(), s, testKey, src, &oauth2store.Options{LockDir: dir})
	for want := 1; want <= 3; want++ {
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
		if src.count() != want {
			t.Fatalf("src called %d times, want %d", src.count(), want)
		}
	}
	// A longer ExpiryDelta makes a one-hour token expired too.
	src = &countingSource{life: time.Hour}
	ts = oauth2store.Wrap(t.Context(), s, "other", src, &oauth2store.Options{LockDir: dir, ExpiryDelta: 2 * time.Hour})
	ts.Token()
	ts.Token()
	if src.count() != 2 {
		t.Fatalf("with ExpiryDelta 2h: src called %d times, want 2", src.count())
	}
}

func TestNewRefreshesWithStoredRefreshToken(t *testing.T) {
	dir := storeDir(t)
	srv := newTokenServer(t)
	s := openStore(t, dir, 8192)
	opts := &oauth2store.Options{LockDir: dir, KeepExtra: []string{"id_token", "missing"}}
	ts := oauth2store.New(t.Context(), s, testKey, srv.config(), opts)

	if _, err := ts.Token(); !errors.Is(err, oauth2store.ErrNoToken) {
		t.Fatalf("Token with nothing stored: %v, want ErrNoToken", err)
	}
	_, _, _, refresh := srv.state()
	// The login: an expired token whose refresh token works.
	if err := ts.Save(&oauth2.Token{AccessToken: "old", RefreshToken: refresh, Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	granted, _, access, refresh := srv.state()
	if granted != 1 || tok.AccessToken != access || tok.RefreshToken != refresh {
		t.Fatalf("after refresh: %d refreshes, got the latest tokens: %v %v", granted, tok.AccessToken == access, tok.RefreshToken == refresh)
	}

	// Restart: the rotated refresh token and the kept extra came back.
	s.Close()
	s = openStore(t, dir, 8192)
	tok, err = oauth2store.New(t.Context(), s, testKey, srv.config(), opts).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != access || tok.RefreshToken != refresh || tok.Extra("id_token") != "idtok-"+access[len(access)-8:] || !tok.Valid() {
		t.Fatalf("stored token after restart differs (valid %v, extra %v)", tok.Valid(), tok.Extra("id_token") != nil)
	}
	if granted, _, _, _ := srv.state(); granted != 1 {
		t.Fatalf("%d refreshes; the stored token was valid", granted)
	}
}

func TestRefusedRefreshHoldsNoToken(t *testing.T) {
	dir := storeDir(t)
	srv := newTokenServer(t)
	s := openStore(t, dir, 8192)
	ts := oauth2store.New(t.Context(), s, testKey, srv.config(), &oauth2store.Options{LockDir: dir})
	stale := "stale-" + srv.newToken(40)
	if err := ts.Save(&oauth2.Token{AccessToken: "a-" + srv.newToken(40), RefreshToken: stale, Expiry: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, err := ts.Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("Token with a spent refresh token: %v, want an *oauth2.RetrieveError invalid_grant", err)
	}
	if !strings.Contains(re.ErrorDescription, stale) {
		t.Fatalf("the test server did not echo the token; the check below proves nothing")
	}
	srv.checkNoToken(t, "the error", err.Error())
	t.Log(err)
}

func TestTooLarge(t *testing.T) {
	dir := storeDir(t)
	srv := newTokenServer(t)
	srv.tokenBytes = 3000 // a JWT with many claims
	_, _, _, refresh := srv.state()
	seed := &oauth2.Token{AccessToken: "old", RefreshToken: refresh, Expiry: time.Now().Add(-time.Minute)}

	// The default 2048-byte limit refuses the refreshed token, clearly.
	s := openStore(t, dir, 0)
	ts := oauth2store.New(t.Context(), s, testKey, srv.config(), &oauth2store.Options{LockDir: dir})
	if err := ts.Save(seed); err != nil {
		t.Fatal(err)
	}
	_, err := ts.Token()
	if !errors.Is(err, securestore.ErrValueTooLarge) || !strings.Contains(err.Error(), "MaxValueBytes") {
		t.Fatalf("Token of a 3000-byte token with the default limit: %v, want ErrValueTooLarge naming MaxValueBytes", err)
	}
	srv.checkNoToken(t, "the error", err.Error())
	big := &oauth2.Token{AccessToken: srv.newToken(3000)}
	err = ts.Save(big)
	if !errors.Is(err, securestore.ErrValueTooLarge) {
		t.Fatalf("Save of a 3000-byte token: %v, want ErrValueTooLarge", err)
	}
	srv.checkNoToken(t, "the error", err.Error())
	s.Close()

	// The old token is still there, and a larger limit takes the new one.
	// (The refresh token was spent by the refused refresh: the server
	// has rotated it, so save the current one as a new login would.)
	s = openStore(t, dir, 8192)
	ts = oauth2store.New(t.Context(), s, testKey, srv.config(), &oauth2store.Options{LockDir: dir})
	v, err := s.GetItem(t.Context(), testKey, nil)
	if err != nil || !strings.Contains(v, `"access_token":"old"`) {
		t.Fatalf("stored token changed by a refused save: %v", err)
	}
	_, _, _, refresh = srv.state()
	seed.RefreshToken = refresh
	if err := ts.Save(seed); err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil || len(tok.AccessToken) != 3000 {
		t.Fatalf("with MaxValueBytes 8192: %v", err)
	}
}

func TestConcurrentSourcesInOneProcessRefreshOnce(t *testing.T) {
	dir := storeDir(t)
	srv := newTokenServer(t)
	s := openStore(t, dir, 8192)
	opts := &oauth2store.Options{LockDir: dir}
	_, _, _, refresh := srv.state()
	if err := oauth2store.New(t.Context(), s, testKey, srv.config(), opts).Save(
		&oauth2.Token{AccessToken: "old", RefreshToken: refresh, Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// Eight sources (each with its own lock file handle) and two callers
	// of each.
	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range 8 {
		ts := oauth2store.New(t.Context(), s, testKey, srv.config(), opts)
		for j := range 2 {
			wg.Go(func() {
				tok, err := ts.Token()
				if err != nil {
					t.Error(err)
					return
				}
				got[2*i+j] = tok.AccessToken
			})
		}
	}
	wg.Wait()
	granted, refused, access, _ := srv.state()
	if granted != 1 || refused != 0 {
		t.Fatalf("%d refreshes granted, %d refused; want 1 and 0", granted, refused)
	}
	for i, a := range got {
		if a != access {
			t.Fatalf("caller %d got another token than the one refresh", i)
		}
	}
}

func TestLockWaitHonoursContext(t *testing.T) {
	dir := storeDir(t)
	s := openStore(t, dir, 0)
	// A source whose refresh blocks holds the lock until released.
	entered, release := make(chan struct{}), make(chan struct{})
	blocking := oauth2.TokenSource(tokenFunc(func() (*oauth2.Token, error) {
		close(entered)
		<-release
		return &oauth2.Token{AccessToken: "a"}, nil
	}))
	holder := oauth2store.Wrap(t.Context(), s, testKey, blocking, &oauth2store.Options{LockDir: dir})
	done := make(chan error)
	go func() { _, err := holder.Token(); done <- err }()
	<-entered

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	waiter := oauth2store.Wrap(ctx, s, testKey, &countingSource{}, &oauth2store.Options{LockDir: dir})
	if _, err := waiter.Token(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Token with a cancelled context while another holds the lock: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

func TestBadStoredValueIsLeftAlone(t *testing.T) {
	dir := storeDir(t)
	s := openStore(t, dir, 0)
	const junk = "not-json-s3cret"
	if err := s.SetItem(t.Context(), testKey, junk, nil); err != nil {
		t.Fatal(err)
	}
	src := &countingSource{life: time.Hour}
	_, err := oauth2store.Wrap(t.Context(), s, testKey, src, &oauth2store.Options{LockDir: dir}).Token()
	if !errors.Is(err, oauth2store.ErrBadToken) || strings.Contains(err.Error(), junk) {
		t.Fatalf("Token over a foreign value: %v, want ErrBadToken without the value", err)
	}
	if v, _ := s.GetItem(t.Context(), testKey, nil); v != junk || src.count() != 0 {
		t.Fatalf("the foreign value was replaced or src was called")
	}
}

func TestDelete(t *testing.T) {
	dir := storeDir(t)
	s := openStore(t, dir, 0)
	ts := oauth2store.New(t.Context(), s, testKey, &oauth2.Config{}, &oauth2store.Options{LockDir: dir})
	if err := ts.Save(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	locks, _ := filepath.Glob(filepath.Join(dir, "oauth2store-*.lock"))
	if len(locks) != 1 {
		t.Fatalf("lock files in the store directory: %v, want one", locks)
	}
	if fi, err := os.Stat(locks[0]); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	if err := ts.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := ts.Delete(); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if _, err := ts.Token(); !errors.Is(err, oauth2store.ErrNoToken) {
		t.Fatalf("Token after Delete: %v, want ErrNoToken", err)
	}
}

// storeDir is a store directory that Open creates, 0700 (Open refuses a
// directory others may read, such as t.TempDir itself). It is removed file
// by file when the test ends: t.TempDir's os.RemoveAll fails under Wine,
// where the Windows tests run.
func storeDir(t *testing.T) string {
	tmp, err := os.MkdirTemp("", "oauth2store-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var paths []string
		filepath.WalkDir(tmp, func(path string, _ fs.DirEntry, err error) error {
			paths = append(paths, path)
			return err
		})
		for _, p := range slices.Backward(paths) { // deepest first
			if err := os.Remove(p); err != nil {
				t.Errorf("remove the test directory: %v", err)
			}
		}
	})
	return filepath.Join(tmp, "store")
}

// A server that does not rotate leaves the refresh token out of its
// answer; the stored one must survive, as x/oauth2 keeps it.
func TestRefreshKeepsRefreshTokenTheAnswerLeftOut(t *testing.T) {
	dir := storeDir(t)
	s := openStore(t, dir, 0)
	src := &countingSource{life: time.Hour}
	opts := &oauth2store.Options{LockDir: dir}
	if err := oauth2store.Wrap(t.Context(), s, testKey, src, opts).Save(
		&oauth2.Token{AccessToken: "a", RefreshToken: "r1", Expiry: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := oauth2store.Wrap(t.Context(), s, testKey, src, opts).Token(); err != nil {
		t.Fatal(err)
	}
	tok, err := oauth2store.Wrap(t.Context(), s, testKey, src, opts).Token()
	if err != nil || tok.AccessToken != "access-1" || tok.RefreshToken != "r1" || src.count() != 1 {
		t.Fatalf("stored after refresh: %v %q %q, %d calls; want access-1, r1, 1 call", err, tok.AccessToken, tok.RefreshToken, src.count())
	}
}
