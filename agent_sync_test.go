package securestore_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/testonly"
)

// Sync through the agent (agent --sync runs securestore-sync with the
// agent's socket): a process that holds no passcode class key sets,
// pushes and applies synchronizable when-unlocked items through the
// agent while it is unlocked, and they wait while it is locked.
func TestSyncThroughTheAgent(t *testing.T) {
	ctx := testonly.WithCheapKDFs(t.Context())
	sock, _ := runAgent(t)
	dir := filepath.Join(t.TempDir(), "stores")
	owner := agentStore(t, dir, sock)
	if err := owner.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	s := agentStore(t, dir, sock) // the sync program's handle
	r, err := s.SyncReplica(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetDevice(ctx, "dev-a"); err != nil {
		t.Fatal(err)
	}
	wu := &securestore.Options{Synchronizable: true}
	arrival := func() []*securestore.SyncChange {
		return []*securestore.SyncChange{{Service: securestore.DefaultService, Key: "remote", Class: securestore.WhenUnlocked,
			Value: []byte("from-b"), Lamport: 100, Device: "dev-b", Rev: 5}}
	}

	// Locked: nothing is written, the arrival waits.
	if err := s.SetItem(ctx, "local", "v", wu); !errors.Is(err, securestore.ErrLocked) {
		t.Fatalf("SetItem while the agent is locked: %v, want ErrLocked", err)
	}
	errs, err := r.Apply(ctx, arrival())
	if err != nil || !errors.Is(errs[0], securestore.ErrLocked) {
		t.Fatalf("Apply while the agent is locked: %v, %v; want ErrLocked", errs, err)
	}

	if err := owner.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetItem(ctx, "local", "set-here", wu); err != nil {
		t.Fatalf("SetItem of a synchronizable item with the agent unlocked: %v", err)
	}
	// PendingCount (what `sync status` shows) counts it as pushable, and
	// asks the agent to open nothing: no open appears in its access log.
	opensBefore := agentOpens(t, sock)
	if n, locked, err := r.PendingCount(ctx); err != nil || n != 1 || locked != 0 {
		t.Fatalf("PendingCount with the agent unlocked = %d, %d, %v; want 1, 0", n, locked, err)
	}
	if opens := agentOpens(t, sock); opens != opensBefore {
		t.Fatalf("PendingCount had the agent open %d values", opens-opensBefore)
	}
	p, locked, err := r.Pending(ctx)
	if err != nil || locked != 0 || len(p) != 1 || string(p[0].Value) != "set-here" || p[0].Class != securestore.WhenUnlocked {
		t.Fatalf("Pending with the agent unlocked = %+v, %d, %v", p, locked, err)
	}
	if agentOpens(t, sock) == opensBefore {
		t.Fatal("the access log shows no open for Pending either: the check above proves nothing")
	}
	errs, err = r.Apply(ctx, arrival())
	if err != nil || errs[0] != nil {
		t.Fatalf("Apply with the agent unlocked: %v, %v", errs, err)
	}
	if v, err := owner.GetItem(ctx, "remote", nil); err != nil || v != "from-b" {
		t.Fatalf("the applied item: %q, %v", v, err)
	}

	// Locked again: the pending change waits for the unlock.
	if err := owner.Lock(); err != nil {
		t.Fatal(err)
	}
	if p, locked, err := r.Pending(ctx); err != nil || locked != 1 || len(p) != 0 {
		t.Fatalf("Pending with the agent locked = %+v, %d, %v", p, locked, err)
	}
	if n, locked, err := r.PendingCount(ctx); err != nil || n != 1 || locked != 1 {
		t.Fatalf("PendingCount with the agent locked = %d, %d, %v; want 1, 1", n, locked, err)
	}
}

// agentOpens counts the opens in the agent's access log.
func agentOpens(t *testing.T, sock string) int {
	t.Helper()
	c, err := agent.Dial(t.Context(), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	log, err := c.Log(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range log {
		if e.Op == agent.OpOpen {
			n++
		}
	}
	return n
}
