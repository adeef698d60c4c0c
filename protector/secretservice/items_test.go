//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// TestItems finds, reads and deletes an item that secret-tool (libsecret)
// wrote, as go-keyring and keytar do, through a real Secret Service.
func TestItems(t *testing.T) {
	servicetest.SharedSecretService(t)
	service := "items-test-" + strings.ReplaceAll(t.Name(), "/", "-")
	cmd := exec.Command("secret-tool", "store", "--label=test item", "service", service, "username", "alice@example.com")
	cmd.Stdin = strings.NewReader("s3cret value")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	it, err := OpenItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	items, err := it.Search(map[string]string{"service": service})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("found %d items, want 1", len(items))
	}
	if got := items[0].Attributes["username"]; got != "alice@example.com" {
		t.Errorf("username attribute %q", got)
	}
	if items[0].Label != "test item" {
		t.Errorf("label %q", items[0].Label)
	}
	secret, err := it.Secret(items[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(secret) != "s3cret value" {
		t.Fatalf("secret %q", secret)
	}
	if err := it.Delete(items[0]); err != nil {
		t.Fatal(err)
	}

	// Create makes what secret-tool would, and replaces an item with the
	// same attributes.
	attrs := map[string]string{"service": service, "account": "bob"}
	for _, v := range []string{"first", "second"} {
		if err := it.Create("created", attrs, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("secret-tool", "lookup", "service", service, "account", "bob").Output()
	if err != nil || string(out) != "second" {
		t.Fatalf("secret-tool lookup after Create: %q, %v", out, err)
	}
	if items, err = it.Search(attrs); err != nil || len(items) != 1 {
		t.Fatalf("after two Creates: %d items, %v", len(items), err)
	}
	if err := it.Delete(items[0]); err != nil {
		t.Fatal(err)
	}
	if items, err := it.Search(map[string]string{"service": service}); err != nil || len(items) != 0 {
		t.Fatalf("after Delete: %d items, %v", len(items), err)
	}
}
