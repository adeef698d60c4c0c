package securestore_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
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
	sock, _ := runAgentSock(t)
	l, err := agent.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	s := agent.NewServer(agent.Options{Unlocker: securestore.AgentUnlocker(), Prompter: prompter, Clock: clk})
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
