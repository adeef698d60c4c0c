//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"context"
	"errors"
	"testing"

	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/protector"
)

// TestSecretServiceRemove: Remove deletes exactly the item a blob names,
// and tolerates one already gone.
func TestSecretServiceRemove(t *testing.T) {
	servicetest.SharedSecretService(t)
	ctx := context.Background()
	p := secretService{}
	scope := protector.Scope{Dir: t.TempDir(), Store: ssTestStore(t)}
	keep, err := p.Wrap(ctx, scope, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Remove(context.Background(), scope, keep) })
	drop, err := p.Wrap(ctx, scope, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(ctx, scope, drop); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := p.Unwrap(ctx, scope, drop); !errors.Is(err, protector.ErrKeyMissing) {
		t.Fatalf("Unwrap after Remove: %v, want protector.ErrKeyMissing", err)
	}
	if _, err := p.Unwrap(ctx, scope, keep); err != nil {
		t.Fatalf("Remove deleted another wrap's item: %v", err)
	}
	if err := p.Remove(ctx, scope, drop); err != nil {
		t.Fatalf("a second Remove: %v, want nil", err)
	}
}
