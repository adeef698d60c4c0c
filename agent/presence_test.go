package agent

import (
	"context"
	"crypto/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/secmem"
)

// passcodePrompter answers every prompt with a passcode and counts them.
type passcodePrompter struct {
	passcode string
	n        atomic.Int32
	last     atomic.Value // the last Description
	title    atomic.Value // the last Title
}

func (p *passcodePrompter) AskPasscode(_ context.Context, t PromptText) (*secmem.Buffer, error) {
	p.n.Add(1)
	p.last.Store(t.Description)
	p.title.Store(t.Title)
	return secmem.Copy([]byte(p.passcode)), nil
}

func presenceServer(t *testing.T) (*Server, *Client, *passcodePrompter, *fakeClock) {
	t.Helper()
	u := newTestUnlocker()
	k := make([]byte, 32)
	rand.Read(k)
	u.keys[passcodeClass] = k
	pr := &passcodePrompter{passcode: "1234"}
	clk := newFakeClock()
	s, c, _ := startServer(t, Options{Unlocker: u, Prompter: pr, Clock: clk})
	return s, c, pr, clk
}

func TestPresenceSealOpenAndWindow(t *testing.T) {
	s, c, pr, clk := presenceServer(t)
	ctx := context.Background()
	it := Item{Store: testRef, Class: 1 | AuthFlag, Service: "app", Key: "tok"}
	win := Presence{Prompt: "Show the token", Window: time.Minute}

	sealed := must[[]byte](t)(func() ([]byte, error) {
		b, _, err := c.SealWithPresence(ctx, it, win, []byte("v"))
		return b, err
	}())
	if pr.n.Load() != 1 || pr.last.Load() != "Show the token" {
		t.Fatalf("after Seal: %d prompts, text %q", pr.n.Load(), pr.last.Load())
	}
	// The caller's text does not replace the store's name.
	if title, _ := pr.title.Load().(string); !strings.Contains(title, testRef.ID()) {
		t.Fatalf("the prompt's title %q does not name the store %s", title, testRef.ID())
	}
	open := func(p Presence, wantPrompts int32) {
		t.Helper()
		v, _, err := c.OpenWithPresence(ctx, it, p, sealed)
		if err != nil || string(v) != "v" {
			t.Fatalf("OpenWithPresence: %q, %v", v, err)
		}
		if n := pr.n.Load(); n != wantPrompts {
			t.Fatalf("%d prompts, want %d", n, wantPrompts)
		}
	}
	open(win, 1)
	clk.Advance(59 * time.Second)
	open(win, 1)
	clk.Advance(2 * time.Second)
	open(win, 2) // the key held for a minute is gone
	open(Presence{}, 3)

	// The agent unlocked with the class key the presence key derives from
	// (a plain Unlock) still opens nothing flagged without a proof.
	s.Lock()
	if _, err := c.Unlock(ctx, testRef, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Open(ctx, it, sealed); err == nil {
		t.Fatal("a plain Open of a flagged item answered")
	}
	open(win, 4) // Lock dropped the proof
	// The flag is bound: the same record under the unflagged class fails.
	unflagged := it
	unflagged.Class = 1
	if _, _, err := c.OpenWithPresence(ctx, unflagged, win, sealed); !errorsIs(err, ErrRefused) {
		t.Fatalf("a presence request without the flag: %v, want ErrRefused", err)
	}
	pr.passcode = "0000"
	if _, _, err := c.OpenWithPresence(ctx, it, Presence{}, sealed); !errorsIs(err, ErrWrongPasscode) {
		t.Fatalf("a wrong passcode at the prompt: %v", err)
	}
}

func TestPresenceWithoutPrompter(t *testing.T) {
	_, c, _ := startServer(t, Options{Unlocker: newTestUnlocker()})
	it := Item{Store: testRef, Class: 1 | AuthFlag, Service: "app", Key: "tok"}
	if _, _, err := c.OpenWithPresence(context.Background(), it, Presence{}, []byte("x")); !errorsIs(err, ErrRefused) {
		t.Fatalf("OpenWithPresence without a prompter: %v, want ErrRefused", err)
	}
	if err := c.CanPrompt(context.Background()); !errorsIs(err, ErrRefused) {
		t.Fatalf("CanPrompt without a prompter: %v, want ErrRefused", err)
	}
}

func TestCapText(t *testing.T) {
	if got := capText("ééé", 3); got != "é…" {
		t.Fatalf("capText cut inside a character: %q", got)
	}
}

// blockingPrompter is a prompt the user never answers: it says it is up,
// then waits for its context to end.
type blockingPrompter struct {
	asked chan struct{}
	ended chan error
}

func (p *blockingPrompter) AskPasscode(ctx context.Context, _ PromptText) (*secmem.Buffer, error) {
	close(p.asked)
	<-ctx.Done()
	p.ended <- ctx.Err()
	return nil, ctx.Err()
}

// Close does not wait out an open prompt (minutes, with the keys held):
// the prompt's context ends with the server, and the request fails.
func TestCloseEndsOpenPrompt(t *testing.T) {
	u := newTestUnlocker()
	pr := &blockingPrompter{asked: make(chan struct{}), ended: make(chan error, 1)}
	s, c, _ := startServer(t, Options{Unlocker: u, Prompter: pr})
	it := Item{Store: testRef, Class: 1 | AuthFlag, Service: "app", Key: "tok"}
	failed := make(chan error, 1)
	go func() {
		_, _, err := c.SealWithPresence(context.Background(), it, Presence{}, []byte("v"))
		failed <- err
	}()
	<-pr.asked
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	// A hang detector, not a speed check: the prompt's own timeout is
	// minutes away.
	select {
	case <-closed:
	case <-time.After(time.Minute):
		t.Fatal("Close waited for the open prompt")
	}
	if err := <-pr.ended; err == nil {
		t.Fatal("the prompt's context did not end")
	}
	if err := <-failed; err == nil {
		t.Fatal("the request whose prompt was cut short succeeded")
	}
}

// A session lock or sleep (a lock event) drops the held proof: the next
// read of a flagged item asks again, though its window has not ended.
func TestLockEventDropsPresence(t *testing.T) {
	u := newTestUnlocker()
	k := make([]byte, 32)
	rand.Read(k)
	u.keys[passcodeClass] = k
	pr := &passcodePrompter{passcode: "1234"}
	events := make(chan LockEvent)
	_, c, _ := startServer(t, Options{Unlocker: u, Prompter: pr, Clock: newFakeClock(), LockEvents: events})
	ctx := context.Background()
	it := Item{Store: testRef, Class: 1 | AuthFlag, Service: "app", Key: "tok"}
	win := Presence{Window: time.Hour}
	sealed, _, err := c.SealWithPresence(ctx, it, win, []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.OpenWithPresence(ctx, it, win, sealed); err != nil || pr.n.Load() != 1 {
		t.Fatalf("an open within the window: %v, %d prompts; want no second prompt", err, pr.n.Load())
	}
	events <- LockEvent{Reason: "session locked"}
	events <- LockEvent{Reason: "before sleep"} // the first is handled once the second is taken
	if _, _, err := c.OpenWithPresence(ctx, it, win, sealed); err != nil {
		t.Fatal(err)
	}
	if n := pr.n.Load(); n != 2 {
		t.Fatalf("%d prompts after a lock event; want 2: the held proof survived the lock", n)
	}
}

// heldPresenceKey returns the presence key the server holds for ref's
// store, or nil.
func heldPresenceKey(s *Server, ref StoreRef) *secmem.Buffer {
	p := &s.keys.presence
	p.mu.RLock()
	defer p.mu.RUnlock()
	if h := p.held[storeName(ref)]; h != nil {
		return h.key
	}
	return nil
}

// TestPresenceWipedWithoutRequest backs docs/SECURITY.md's promise that
// the agent keeps a presence key only until its proof is older than the
// reuse window of the read that prompted (at most presence.MaxWindow),
// and wipes it then: with no request at all after the prompt, the key
// leaves the agent's state and its memory is zeroed when the window
// ends, not at the next request.
func TestPresenceWipedWithoutRequest(t *testing.T) {
	s, c, pr, clk := presenceServer(t)
	ctx := context.Background()
	it := Item{Store: testRef, Class: 1 | AuthFlag, Service: "app", Key: "tok"}

	for _, tc := range []struct {
		asked, held time.Duration
	}{
		{time.Minute, time.Minute},
		{time.Hour, 5 * time.Minute}, // cut to the longest window
	} {
		prompts := pr.n.Load()
		if _, _, err := c.SealWithPresence(ctx, it, Presence{Window: tc.asked}, []byte("v")); err != nil {
			t.Fatal(err)
		}
		if pr.n.Load() != prompts+1 {
			t.Fatalf("window %v: no prompt", tc.asked)
		}
		key := heldPresenceKey(s, testRef)
		if key == nil || len(key.Bytes()) == 0 {
			t.Fatalf("window %v: the agent holds no presence key after the prompt", tc.asked)
		}
		// A Status on the same connection (which the access log leaves
		// out) waits for the Seal's handling to end, log entry included.
		if _, err := c.Status(ctx, testRef); err != nil {
			t.Fatal(err)
		}
		requests := len(s.log.all())

		// The fake clock fires nothing before the deadline: a key still
		// held here is held on purpose, not by a timer yet to run.
		clk.Advance(tc.held - time.Second)
		if heldPresenceKey(s, testRef) != key || len(key.Bytes()) == 0 {
			t.Fatalf("window %v: the key was dropped a second before the window ended", tc.asked)
		}
		clk.Advance(time.Second)
		waitFor(t, func() bool { return heldPresenceKey(s, testRef) == nil })
		if key.Bytes() != nil {
			t.Fatalf("window %v: the dropped key's memory was not wiped", tc.asked)
		}
		if n := len(s.log.all()); n != requests {
			t.Fatalf("window %v: %d requests reached the agent meanwhile; the wipe must need none", tc.asked, n-requests)
		}
	}
}
