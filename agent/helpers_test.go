package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/secmem"
)

// testUnlocker unlocks with one passcode, giving fixed keys: class 1
// (dropped on lock) and class 2 (kept, like AfterFirstUnlock). The real
// Unlocker is the securestore package's, tested there with real stores.
type testUnlocker struct {
	passcode   []byte
	keys       map[uint8][]byte
	generation uint64
	block      chan struct{} // if set, Unlock waits for it (a request in flight)
	entered    chan struct{}
}

func newTestUnlocker() *testUnlocker {
	u := &testUnlocker{passcode: []byte("1234"), keys: map[uint8][]byte{}, generation: 7}
	for _, c := range []uint8{1, 2} {
		k := make([]byte, 32)
		rand.Read(k)
		u.keys[c] = k
	}
	return u
}

func (u *testUnlocker) Unlock(ctx context.Context, _ StoreRef, p []byte) (*Keys, error) {
	if u.entered != nil {
		u.entered <- struct{}{}
	}
	if u.block != nil {
		select {
		case <-u.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if !bytes.Equal(p, u.passcode) {
		return nil, fmt.Errorf("%w (test)", ErrWrongPasscode)
	}
	k := &Keys{Generation: u.generation}
	for c, raw := range u.keys {
		k.Classes = append(k.Classes, ClassKey{Class: c, Key: secmem.Copy(raw), KeepOnLock: c == 2})
	}
	return k, nil
}

// fakeClock moves only when told; After channels fire as it passes them.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// shortDir is a temporary directory with a short path (socket paths are
// limited to about 100 bytes), mode 0700.
func shortDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ag")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// startServer runs a server on a fresh socket and returns it with a client.
func startServer(t testing.TB, opts Options) (*Server, *Client, string) {
	t.Helper()
	path := filepath.Join(shortDir(t), "s", "agent.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(opts)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		l.Close()
	})
	c, err := Dial(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c, path
}

var testRef = StoreRef{Dir: "/nonexistent/stores", Kind: "app", Name: "com.example.test"}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
