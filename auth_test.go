package securestore_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/secmem"
	"github.com/securestore-go/securestore/internal/testonly"
)

// handClock is an agent clock the test moves by hand.
type handClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *handClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *handClock) After(time.Duration) <-chan time.Time { return nil } // requests check expiry themselves
func (c *handClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// countingPrompter counts the prompts and shows their text to next.
type countingPrompter struct {
	mu    sync.Mutex
	n     int
	texts []string
	next  agent.Prompter
}

func (p *countingPrompter) AskPasscode(ctx context.Context, t agent.PromptText) (*secmem.Buffer, error) {
	p.mu.Lock()
	p.n++
	p.texts = append(p.texts, t.Description)
	p.mu.Unlock()
	return p.next.AskPasscode(ctx, t)
}

func (p *countingPrompter) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// typedPasscode is a Prompter that answers with a fixed passcode, for the
// tests about the format; the ones about the prompt use pinentry-tty.
type typedPasscode string

func (p typedPasscode) AskPasscode(context.Context, agent.PromptText) (*secmem.Buffer, error) {
	return secmem.Copy([]byte(p)), nil
}

// runPresenceAgent starts an agent with the real Unlocker and prompter.
func runPresenceAgent(t *testing.T, prompter agent.Prompter, clk agent.Clock) (string, *agent.Server) {
	t.Helper()
	return runAgentWith(t, agent.Options{Unlocker: securestore.AgentUnlocker(), Prompter: prompter, Clock: clk})
}

// runAgentWith starts an agent with opts on a fresh socket.
func runAgentWith(t *testing.T, opts agent.Options) (string, *agent.Server) {
	t.Helper()
	sock, _ := runAgentSock(t)
	l, err := agent.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	s := agent.NewServer(opts)
	go s.Serve(l)
	t.Cleanup(func() { s.Close(); l.Close() })
	return sock, s
}

// runAgentSock returns a socket path short enough for a Unix socket.
func runAgentSock(t *testing.T) (string, string) {
	t.Helper()
	d, err := os.MkdirTemp("", "sa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "agent.sock"), d
}

func openAuthStore(t *testing.T, dir, agentSock string) *securestore.Store {
	t.Helper()
	s, err := securestore.Open(testonly.WithCheapKDFs(context.Background()),
		securestore.Config{App: "authed", Dir: dir, Protector: "file", Agent: agentSock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var authSet = &securestore.Options{RequireAuthentication: true, AuthenticationPrompt: "Store the token"}

func TestRequireAuthenticationNeedsPasscodeAndAgent(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	dir := filepath.Join(t.TempDir(), "stores")
	alone := openAuthStore(t, dir, securestore.AgentOff)
	if err := alone.SetItem(ctx, "tok", "v", authSet); !errors.Is(err, securestore.ErrNoPasscode) {
		t.Fatalf("SetItem with RequireAuthentication and no passcode: %v, want ErrNoPasscode", err)
	}
	if err := alone.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := alone.SetItem(ctx, "tok", "v", authSet); !errors.Is(err, securestore.ErrAuthenticationRequired) {
		t.Fatalf("SetItem with RequireAuthentication and no agent: %v, want ErrAuthenticationRequired", err)
	}
	if ok, why := alone.CanUseAuthentication(ctx); ok || why == "" {
		t.Fatalf("CanUseAuthentication without an agent: %v %q", ok, why)
	}
	bad := &securestore.Options{RequireAuthentication: true, AuthenticationReuseWindow: -time.Second}
	if err := alone.SetItem(ctx, "tok", "v", bad); !errors.Is(err, securestore.ErrInvalidOption) {
		t.Fatalf("negative window: %v", err)
	}
	// Its key is this device's: an item that requires authentication
	// cannot be synchronizable, nor a synchronizable one made to require it.
	both := &securestore.Options{RequireAuthentication: true, Synchronizable: true}
	if err := alone.SetItem(ctx, "tok", "v", both); !errors.Is(err, securestore.ErrInvalidOption) {
		t.Fatalf("RequireAuthentication with Synchronizable: %v, want ErrInvalidOption", err)
	}
	if err := alone.SetItem(ctx, "synced", "v", &securestore.Options{Synchronizable: true}); err != nil {
		t.Fatal(err)
	}
	if err := alone.SetItem(ctx, "synced", "v2", authSet); !errors.Is(err, securestore.ErrInvalidOption) {
		t.Fatalf("RequireAuthentication over a synchronizable item: %v, want ErrInvalidOption", err)
	}
	if v, err := alone.GetItem(ctx, "synced", nil); err != nil || v != "v" {
		t.Fatalf("the synchronizable item after the refused write: %q, %v", v, err)
	}
}

// TestRequireAuthenticationFormat: what the files hold. Without an agent
// the item cannot be read, not even after a local Unlock; an attacker
// with the files and the device key cannot open it; clearing the flag in
// the file is detected; a passcode change keeps it readable and removing
// the passcode deletes it.
func TestRequireAuthenticationFormat(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	prompter := &countingPrompter{next: typedPasscode("1234")}
	sock, _ := runPresenceAgent(t, prompter, nil)
	dir := filepath.Join(t.TempDir(), "stores")
	s := openAuthStore(t, dir, sock)
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if ok, why := s.CanUseAuthentication(ctx); !ok {
		t.Fatalf("CanUseAuthentication with an agent and a prompter: %s", why)
	}
	if err := s.SetItem(ctx, "tok", "s3cret", authSet); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetItem(ctx, "tok", nil); err != nil || got != "s3cret" {
		t.Fatalf("GetItem through the agent: %q, %v", got, err)
	}
	if prompter.count() != 2 {
		t.Fatalf("%d prompts for one set and one get, want 2", prompter.count())
	}

	alone := openAuthStore(t, dir, securestore.AgentOff)
	if _, err := alone.GetItem(ctx, "tok", nil); !errors.Is(err, securestore.ErrAuthenticationRequired) {
		t.Fatalf("GetItem without an agent: %v, want ErrAuthenticationRequired", err)
	}
	class, opened, err := securestore.AuthItemOpensWithDeviceKeyForTest(ctx, alone, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if class&agent.AuthFlag == 0 || opened {
		t.Fatalf("stored class %#x, opened with the device key alone: %v", class, opened)
	}
	if err := alone.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if _, err := alone.GetItem(ctx, "tok", nil); !errors.Is(err, securestore.ErrAuthenticationRequired) {
		t.Fatalf("GetItem without an agent after a local unlock: %v, want ErrAuthenticationRequired", err)
	}

	// Check counts it as locked, not damaged; export leaves it out.
	if rep, err := alone.Check(ctx, ""); err != nil || rep.Damaged() || rep.Locked != 1 {
		t.Fatalf("Check: %+v, %v; want the item counted locked and no damage", rep, err)
	}
	if err := s.Export(ctx, io.Discard, []byte("export passphrase")); err != nil {
		t.Fatalf("Export with an item set with RequireAuthentication: %v", err)
	}

	// A passcode change re-seals the item under the new presence key.
	if err := s.SetPasscode(ctx, []byte("1234"), []byte("5678")); err != nil {
		t.Fatal(err)
	}
	prompter.next = typedPasscode("5678")
	if got, err := s.GetItem(ctx, "tok", nil); err != nil || got != "s3cret" {
		t.Fatalf("GetItem after a passcode change: %q, %v", got, err)
	}

	// Clearing the flag in the file: the record no longer authenticates,
	// in the agent or in a process that unlocked by itself.
	s.Close()
	alone.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, "app.authed.db"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE items SET class = class & 127 WHERE class >= 128`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%d flagged rows, want 1", n)
	}
	db.Close()
	s2 := openAuthStore(t, dir, sock)
	if err := s2.Unlock(ctx, []byte("5678")); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.GetItem(ctx, "tok", nil); !errors.Is(err, securestore.ErrCorrupt) {
		t.Fatalf("GetItem of the downgraded item through the agent: %v, want ErrCorrupt", err)
	}
	alone2 := openAuthStore(t, dir, securestore.AgentOff)
	if err := alone2.Unlock(ctx, []byte("5678")); err != nil {
		t.Fatal(err)
	}
	if _, err := alone2.GetItem(ctx, "tok", nil); !errors.Is(err, securestore.ErrCorrupt) {
		t.Fatalf("GetItem of the downgraded item, unlocked locally: %v, want ErrCorrupt", err)
	}

	// Removing the passcode deletes the items set with RequireAuthentication.
	if err := s2.DeleteItem(ctx, "tok", nil); err != nil {
		t.Fatal(err)
	}
	if err := s2.SetItem(ctx, "tok2", "x", authSet); err != nil {
		t.Fatal(err)
	}
	if err := alone2.SetPasscode(ctx, []byte("5678"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := alone2.GetItem(ctx, "tok2", nil); !errors.Is(err, securestore.ErrNotFound) {
		t.Fatalf("an item set with RequireAuthentication after the passcode went: %v, want ErrNotFound", err)
	}
}

// TestRequireAuthenticationReuseWindow: the agent's clock is moved by hand.
func TestRequireAuthenticationReuseWindow(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	prompter := &countingPrompter{next: typedPasscode("1234")}
	clk := &handClock{now: time.Unix(1_800_000_000, 0)}
	sock, srv := runPresenceAgent(t, prompter, clk)
	s := openAuthStore(t, filepath.Join(t.TempDir(), "stores"), sock)
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetItem(ctx, "tok", "v", authSet); err != nil {
		t.Fatal(err)
	}
	get := func(window time.Duration, wantPrompts int) {
		t.Helper()
		got, err := s.GetItem(ctx, "tok", &securestore.Options{AuthenticationReuseWindow: window, AuthenticationPrompt: "Show the token"})
		if err != nil || got != "v" {
			t.Fatalf("GetItem: %q, %v", got, err)
		}
		if n := prompter.count(); n != wantPrompts {
			t.Fatalf("window %v: %d prompts so far, want %d", window, n, wantPrompts)
		}
	}
	get(0, 2) // window 0 asks, even right after the set
	get(0, 3) // and again
	get(time.Minute, 4)
	clk.Advance(59 * time.Second)
	get(time.Minute, 4) // reused
	get(0, 5)           // a caller asking for 0 is asked anyway
	clk.Advance(30 * time.Second)
	get(time.Minute, 5) // the proof of the last prompt is 30 s old
	clk.Advance(31 * time.Second)
	get(time.Minute, 6) // 61 s: stale
	get(time.Hour, 6)   // cut to 5 minutes: still fresh
	clk.Advance(6 * time.Minute)
	get(time.Hour, 7) // beyond MaxWindow
	srv.Lock()
	get(time.Minute, 8) // Lock drops the proof and the key
	// A passcode change: the key the agent holds is of the old generation;
	// the agent prompts again instead of answering with it.
	if err := s.SetPasscode(ctx, []byte("1234"), []byte("5678")); err != nil {
		t.Fatal(err)
	}
	prompter.next = typedPasscode("5678")
	get(time.Minute, 9)
	if prompter.texts[len(prompter.texts)-1] != "Show the token" {
		t.Fatalf("the prompt showed %q", prompter.texts[len(prompter.texts)-1])
	}

	prompter.next = typedPasscode("0000")
	if _, err := s.GetItem(ctx, "tok", nil); !errors.Is(err, securestore.ErrWrongPasscode) || !errors.Is(err, securestore.ErrAuthenticationRequired) {
		t.Fatalf("a wrong passcode at the prompt: %v", err)
	}
}

// settablePasscode is a Prompter that answers with the passcode last set,
// which the test may change between requests.
type settablePasscode struct{ p atomic.Pointer[string] }

func (s *settablePasscode) set(p string) { s.p.Store(&p) }

func (s *settablePasscode) AskPasscode(context.Context, agent.PromptText) (*secmem.Buffer, error) {
	return secmem.Copy([]byte(*s.p.Load())), nil
}

// TestRequireAuthenticationPromptIsAnAttempt backs docs/SECURITY.md's
// promise that a passcode typed at a requireAuthentication prompt is
// checked as an unlock attempt: a wrong one raises the store's count of
// wrong passcodes as Unlock's do, and once the count asks for a delay the
// next prompt's passcode waits it out before it is tried. The agent runs
// the real Unlocker, its stores' clock frozen so that a delay is reported
// instead of waited; the test's handle has the same frozen clock, so its
// UnlockDelay announces the delay the agent's attempt then waits.
func TestRequireAuthenticationPromptIsAnAttempt(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	var mu sync.Mutex
	var slept []time.Duration
	waited := func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		w := slept
		slept = nil
		return w
	}
	unlocker := securestore.AgentUnlockerForTest(func(d time.Duration) {
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
	})
	typed := &settablePasscode{}
	typed.set("1234")
	prompter := &countingPrompter{next: typed}
	sock, _ := runAgentWith(t, agent.Options{Unlocker: unlocker, Prompter: prompter})
	s := openAuthStore(t, filepath.Join(t.TempDir(), "stores"), sock)
	securestore.FrozenClockForTest(s, func(time.Duration) { t.Error("the test's handle waited") })
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetItem(ctx, "tok", "v", authSet); err != nil {
		t.Fatal(err)
	}
	failures := func() int {
		t.Helper()
		n, err := securestore.PasscodeFailuresForTest(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	delay := func() time.Duration {
		t.Helper()
		wait, n, err := s.UnlockDelay(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != failures() {
			t.Fatalf("UnlockDelay counts %d wrong passcodes, the store %d", n, failures())
		}
		return wait
	}
	// read prompts once (a window of 0) and returns the wait the agent's
	// passcode attempt made before it was tried.
	read := func(want error) time.Duration {
		t.Helper()
		before := prompter.count()
		v, err := s.GetItem(ctx, "tok", nil)
		if prompter.count() != before+1 {
			t.Fatalf("GetItem made %d prompts, want 1", prompter.count()-before)
		}
		switch {
		case want == nil && (err != nil || v != "v"):
			t.Fatalf("GetItem with the right passcode at the prompt: %q, %v", v, err)
		case want != nil && (!errors.Is(err, want) || !errors.Is(err, securestore.ErrAuthenticationRequired)):
			t.Fatalf("GetItem with a wrong passcode at the prompt: %v, want %v", err, want)
		}
		var sum time.Duration
		for _, d := range waited() {
			sum += d
		}
		return sum
	}
	if n := failures(); n != 0 {
		t.Fatalf("%d wrong passcodes counted after the right one at the set's prompt", n)
	}

	typed.set("0000")
	for i := 1; i <= 3; i++ { // typos are free, and counted
		if w := read(securestore.ErrWrongPasscode); w != 0 {
			t.Fatalf("wrong passcode %d at the prompt waited %v, want none", i, w)
		}
		if n := failures(); n != i {
			t.Fatalf("after %d wrong passcodes at the prompt the store counts %d", i, n)
		}
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second} {
		announced := delay()
		if announced != want {
			t.Fatalf("after %d wrong passcodes at the prompt UnlockDelay = %v, want %v", 3+i, announced, want)
		}
		if w := read(securestore.ErrWrongPasscode); w != announced {
			t.Fatalf("the prompt's passcode after %d wrong ones waited %v, want the announced %v", 3+i, w, announced)
		}
		if n := failures(); n != 4+i {
			t.Fatalf("after %d wrong passcodes at the prompt the store counts %d", 4+i, n)
		}
	}
	// The right passcode waits too, then clears the count.
	typed.set("1234")
	if w, announced := read(nil), 4*time.Second; w != announced {
		t.Fatalf("the right passcode after 5 wrong ones waited %v, want %v", w, announced)
	}
	if n, d := failures(), delay(); n != 0 || d != 0 {
		t.Fatalf("after the right passcode at the prompt: %d wrong passcodes counted, delay %v; want 0, 0", n, d)
	}
}

// BenchmarkGetItemAuthenticatedReused: GetItem of an item set with
// RequireAuthentication through the agent while a proof is fresh (no
// prompt): the cost of the presence path over a plain agent read.
func BenchmarkGetItemAuthenticatedReused(b *testing.B) {
	ctx := testonly.WithCheapKDFs(context.Background())
	d, err := os.MkdirTemp("", "sa")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(d)
	sock := filepath.Join(d, "agent.sock")
	l, err := agent.Listen(sock)
	if err != nil {
		b.Fatal(err)
	}
	srv := agent.NewServer(agent.Options{Unlocker: securestore.AgentUnlocker(), Prompter: typedPasscode("1234")})
	go srv.Serve(l)
	defer srv.Close()
	s, err := securestore.Open(ctx, securestore.Config{App: "authed", Dir: filepath.Join(d, "stores"), Protector: "file", Agent: sock})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		b.Fatal(err)
	}
	if err := s.SetItem(ctx, "tok", "v", authSet); err != nil {
		b.Fatal(err)
	}
	opts := &securestore.Options{AuthenticationReuseWindow: securestore.MaxAuthenticationReuseWindow}
	if _, err := s.GetItem(ctx, "tok", opts); err != nil { // the one prompt
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.GetItem(ctx, "tok", opts); err != nil {
			b.Fatal(err)
		}
	}
}
