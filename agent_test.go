package securestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/testonly"
)

// runAgent starts an agent with the real Unlocker on a fresh socket and
// returns the socket's path.
func runAgent(t testing.TB) (string, *agent.Server) {
	t.Helper()
	d, err := os.MkdirTemp("", "sa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	sock := filepath.Join(d, "agent.sock")
	l, err := agent.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	s := agent.NewServer(agent.Options{Unlocker: securestore.AgentUnlocker()})
	go s.Serve(l)
	t.Cleanup(func() { s.Close(); l.Close() })
	return sock, s
}

func agentStore(t testing.TB, dir, sock string) *securestore.Store {
	t.Helper()
	s, err := securestore.Open(testonly.WithCheapKDFs(context.Background()),
		securestore.Config{App: "agented", Dir: dir, Protector: "file", Agent: sock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAgentSharesTheLockState(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	sock, _ := runAgent(t)
	dir := filepath.Join(t.TempDir(), "stores")
	owner := agentStore(t, dir, sock)
	if err := owner.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	wu := &securestore.Options{KeychainAccessible: securestore.WhenUnlocked}
	afu := &securestore.Options{KeychainAccessible: securestore.AfterFirstUnlock}
	if err := owner.SetItem(ctx, "wu", "when-unlocked", wu); err != nil {
		t.Fatal(err)
	}
	if err := owner.SetItem(ctx, "afu", "after-first", afu); err != nil {
		t.Fatal(err)
	}

	// Another handle (another process, as far as the store knows).
	a := agentStore(t, dir, sock)
	if !a.Locked() {
		t.Fatal("a new handle with a locked agent reports unlocked")
	}
	if _, err := a.GetItem(ctx, "wu", wu); !errors.Is(err, securestore.ErrLocked) {
		t.Fatalf("GetItem before unlock: %v, want ErrLocked", err)
	}
	if err := a.Unlock(ctx, []byte("9999")); !errors.Is(err, securestore.ErrWrongPasscode) || !errors.Is(err, agent.ErrWrongPasscode) ||
		strings.Count(err.Error(), "wrong passcode") != 1 {
		t.Fatalf("wrong passcode: %v", err)
	}
	if n, _ := securestore.PasscodeFailuresForTest(ctx, a); n != 1 {
		t.Fatalf("the agent's wrong attempt was not counted in the store: %d failures", n)
	}
	if err := a.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}

	// A third handle never unlocked: the agent's state is its state.
	b := agentStore(t, dir, sock)
	if b.Locked() {
		t.Fatal("Locked with the agent unlocked")
	}
	if v, err := b.GetItem(ctx, "wu", wu); err != nil || v != "when-unlocked" {
		t.Fatalf("GetItem through the agent: %q, %v", v, err)
	}
	if err := b.SetItem(ctx, "wu2", "sealed by the agent", wu); err != nil {
		t.Fatal(err)
	}
	// A handle without the agent that unlocks itself reads what the agent sealed.
	plain, err := securestore.Open(ctx, securestore.Config{App: "agented", Dir: dir, Protector: "file", Agent: securestore.AgentOff})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if v, err := plain.GetItem(ctx, "wu2", wu); err != nil || v != "sealed by the agent" {
		t.Fatalf("a value the agent sealed, read locally: %q, %v", v, err)
	}

	// Lock from any handle locks every handle; AfterFirstUnlock stays.
	if err := b.Lock(); err != nil {
		t.Fatal(err)
	}
	if !a.Locked() {
		t.Fatal("Locked after another handle locked the agent")
	}
	if _, err := a.GetItem(ctx, "wu", wu); !errors.Is(err, securestore.ErrLocked) {
		t.Fatalf("GetItem after Lock: %v, want ErrLocked", err)
	}
	if v, err := a.GetItem(ctx, "afu", afu); err != nil || v != "after-first" {
		t.Fatalf("AfterFirstUnlock after Lock: %q, %v", v, err)
	}

	// A passcode change makes the agent's keys stale: ErrLocked, never a
	// wrong value, and the agent drops them.
	if err := plain.SetPasscode(ctx, []byte("1234"), []byte("5678")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetItem(ctx, "afu", afu); !errors.Is(err, securestore.ErrLocked) {
		t.Fatalf("GetItem with stale agent keys: %v, want ErrLocked", err)
	}
	c, err := agent.Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if st, err := c.Status(ctx, agent.StoreRef{}); err != nil || len(st) != 0 {
		t.Fatalf("the agent kept stale keys: %+v, %v", st, err)
	}
	if err := a.SetItem(ctx, "afu", "x", afu); !errors.Is(err, securestore.ErrLocked) {
		t.Fatalf("SetItem with the agent locked: %v", err)
	}
	if err := a.Unlock(ctx, []byte("5678")); err != nil {
		t.Fatal(err)
	}
	if v, err := a.GetItem(ctx, "afu", afu); err != nil || v != "after-first" {
		t.Fatalf("after unlocking with the new passcode: %q, %v", v, err)
	}
}

// Config.Agent "auto" with no agent: works alone, at the cost of a stat.
func TestAgentAutoWithoutAgent(t *testing.T) {
	t.Setenv(securestore.EnvAgentSock, filepath.Join(t.TempDir(), "none.sock"))
	ctx := testonly.WithCheapKDFs(context.Background())
	s, err := securestore.Open(ctx, securestore.Config{App: "alone", Dir: filepath.Join(t.TempDir(), "s"), Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetPasscode(ctx, nil, []byte("1")); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if !s.Locked() {
		t.Fatal("not locked")
	}
	if err := s.Unlock(ctx, []byte("1")); err != nil || s.Locked() {
		t.Fatalf("local unlock: %v", err)
	}
	if _, err := securestore.Open(ctx, securestore.Config{App: "alone", Dir: t.TempDir(), Agent: "relative/path"}); !errors.Is(err, securestore.ErrInvalidOption) {
		t.Fatalf("a relative agent path: %v", err)
	}
	if _, err := securestore.Open(ctx, securestore.Config{App: "alone", Dir: filepath.Join(t.TempDir(), "s"), Protector: "file", Agent: filepath.Join(t.TempDir(), "x.sock")}); !errors.Is(err, securestore.ErrUnavailable) {
		t.Fatalf("an explicit agent path nothing serves: %v", err)
	}
}
