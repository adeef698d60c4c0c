//go:build unix

package syncgroup

import (
	"errors"
	"testing"
	"time"
)

// Joining: a waiting device holds no key until a member approves its
// code; a wrong code approves nothing; an approved device reads items
// written before it joined.
func TestJoinNeedsTheRightCode(t *testing.T) {
	c := testCluster(t)
	prefix := c.prefix(t)
	ctx := ctxFor(t, 30*time.Second)
	a := c.device(t, prefix, "a")
	if err := a.g.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.device(t, prefix, "x").g.Create(ctx); !errors.Is(err, ErrGroupExists) {
		t.Fatalf("a second Create = %v, want ErrGroupExists", err)
	}
	a.set("early", "e")
	a.start()
	b := c.device(t, prefix, "b")
	code, err := b.g.Join(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != CodeLen+1 {
		t.Fatalf("code %q", code)
	}
	wrong := []byte(code)
	wrong[0] = map[bool]byte{true: 'B', false: 'A'}[wrong[0] == 'A']
	if err := a.g.Approve(ctx, string(wrong)); !errors.Is(err, ErrUnknownCode) {
		t.Fatalf("Approve with a wrong code = %v", err)
	}
	if err := b.g.Sync(ctx); !errors.Is(err, ErrNotMember) {
		t.Fatalf("Sync before approval = %v, want ErrNotMember", err)
	}
	if _, err := b.get("early"); err == nil {
		t.Fatal("b reads an item before approval")
	}
	joined := make(chan error, 1)
	go func() { joined <- b.g.WaitMember(ctx) }()
	if err := a.g.Approve(ctx, code); err != nil {
		t.Fatal(err)
	}
	if err := <-joined; err != nil {
		t.Fatal(err)
	}
	b.start()
	settle(t, a, b)
	if v, err := b.get("early"); err != nil || v != "e" {
		t.Fatalf("b: early = %q, %v", v, err)
	}
}
