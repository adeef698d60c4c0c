package securestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/secmem"
	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/internal/testonly"
)

// typedPasscode answers every prompt with one passcode.
type typedPasscode string

func (p typedPasscode) AskPasscode(context.Context, agent.PromptText) (*secmem.Buffer, error) {
	return secmem.Copy([]byte(p)), nil
}

// A requireAuthentication write must not replace an item that another
// process made synchronizable after SetItem's own check and before the
// write's commit: the commit checks again, and the write is refused with
// ErrInvalidOption, as it is when the item was synchronizable before.
func TestAuthSetRacingSynchronizable(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	sockDir, err := os.MkdirTemp("", "sa") // short: a Unix socket's path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "agent.sock")
	l, err := agent.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := agent.NewServer(agent.Options{Unlocker: AgentUnlocker(), Prompter: typedPasscode("1234")})
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close(); l.Close() })

	dir := testdir.New(t)
	a, err := Open(ctx, Config{App: "a", Dir: dir, Protector: "file", Agent: sock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, Config{App: "a", Dir: dir, Protector: "file", Agent: AgentOff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if err := b.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	r, err := b.SyncReplica(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetDevice(ctx, "dev-b"); err != nil {
		t.Fatal(err)
	}
	syncedByOther(t, a, b, "k")
	err = a.SetItem(ctx, "k", "mine", &Options{RequireAuthentication: true})
	if !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("a requireAuthentication write over an item made synchronizable meanwhile: %v; want ErrInvalidOption", err)
	}
	if v, err := b.GetItem(ctx, "k", nil); err != nil || v != "theirs" {
		t.Fatalf("the synchronizable item reads %q, %v; want the other handle's value", v, err)
	}
	if synced, err := b.own.isSynced(ctx, DefaultService, "k"); err != nil || !synced {
		t.Fatalf("the item is no longer synchronizable (%v, %v)", synced, err)
	}
}
