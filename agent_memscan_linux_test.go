package securestore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/testonly"
)

// TestAgentKeysStayInTheAgent: with an agent, a process that unlocked and
// used WhenUnlocked items holds no passcode class key of its own; the
// agent's copy is wiped from memory by its Lock; and no file in the store
// directory or beside the agent's socket ever holds the key. The agent
// runs in this process so that one memory scan sees both sides: before
// the agent's Lock the scan finds the key (it can see keys), after it none.
func TestAgentKeysStayInTheAgent(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	sockDir, err := os.MkdirTemp("", "am")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "agent.sock")
	l, err := agent.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := agent.NewServer(agent.Options{Unlocker: AgentUnlocker()})
	go srv.Serve(l)
	defer func() { srv.Close(); l.Close() }()

	dir := filepath.Join(t.TempDir(), "store")
	setup, err := Open(ctx, Config{App: "agentmem", Dir: dir, Protector: "file", Agent: AgentOff})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	cs := setup.own.readClasses()
	ck := newMaskedKey("WhenUnlocked class key", cs.slot(WhenUnlocked))
	raw := bytes.Clone(cs.slot(WhenUnlocked)) // for the disk scan only; wiped before the memory scan
	cs.release()
	setup.Close()

	s, err := Open(ctx, Config{App: "agentmem", Dir: dir, Protector: "file", Agent: sock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	wu := &Options{KeychainAccessible: WhenUnlocked}
	if err := s.SetItem(ctx, "token", "a secret value", wu); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetItem(ctx, "token", wu); err != nil || v != "a secret value" {
		t.Fatalf("GetItem = %q, %v", v, err)
	}
	for _, d := range []string{dir, sockDir} {
		filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, raw) {
				t.Errorf("%s holds the class key", p)
			}
			return nil
		})
	}
	clear(raw)
	if c := s.own.classes.Load(); c.has[WhenUnlocked] || c.has[AfterFirstUnlock] {
		t.Fatal("the process holds a passcode class key although the agent unlocked")
	}
	settle()
	if n := ck.count(t); n == 0 {
		t.Fatal("the scan does not find the class key while the agent holds it: it cannot see keys")
	}
	if err := s.Lock(); err != nil {
		t.Fatal(err)
	}
	settle()
	if n := ck.count(t); n > 0 {
		t.Errorf("after the agent's Lock: %d copies of the WhenUnlocked class key in memory", n)
	}

}
