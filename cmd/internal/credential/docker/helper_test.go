package docker

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
)

func testHelper(t *testing.T) *Helper {
	t.Helper()
	s, err := securestore.Open(context.Background(), securestore.Config{
		App: App, Dir: filepath.Join(t.TempDir(), "store"), Protector: "file",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &Helper{Items: s}
}

func TestHelper(t *testing.T) {
	ctx := context.Background()
	h := testHelper(t)
	if _, err := h.Get(ctx, "127.0.0.1:5000"); !errors.Is(err, ErrNotFound) || err.Error() != NotFoundMessage {
		t.Fatalf("Get of nothing: %v", err)
	}
	if err := h.Store(ctx, Credentials{"https://127.0.0.1:5000/", "u", "s1"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store(ctx, Credentials{"https://index.docker.io/v1/", "hubuser", "s2"}); err != nil {
		t.Fatal(err)
	}
	// Every spelling of the registry finds it, and get answers with the
	// URL it was asked.
	for _, u := range []string{"127.0.0.1:5000", "http://127.0.0.1:5000", "https://127.0.0.1:5000"} {
		got, err := h.Get(ctx, u)
		if want := (Credentials{u, "u", "s1"}); err != nil || got != want {
			t.Errorf("Get(%q) = %+v, %v; want %+v", u, got, err, want)
		}
	}
	list, err := h.List(ctx)
	want := map[string]string{"https://127.0.0.1:5000/": "u", "https://index.docker.io/v1/": "hubuser"}
	if err != nil || !maps.Equal(list, want) {
		t.Errorf("List = %v, %v; want %v", list, err, want)
	}
	// Storing again under another spelling replaces it; list shows the
	// new spelling.
	if err := h.Store(ctx, Credentials{"127.0.0.1:5000", "u2", "s3"}); err != nil {
		t.Fatal(err)
	}
	if list, _ := h.List(ctx); list["127.0.0.1:5000"] != "u2" || len(list) != 2 {
		t.Errorf("List after storing again = %v", list)
	}
	if err := h.Erase(ctx, "https://127.0.0.1:5000"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, "127.0.0.1:5000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Erase: %v", err)
	}
	if err := h.Erase(ctx, "127.0.0.1:5000"); err != nil {
		t.Errorf("erasing what is not there: %v", err)
	}
	if got, err := h.Get(ctx, "index.docker.io/v1"); err != nil || got.Secret != "s2" {
		t.Errorf("the other registry: %+v, %v", got, err)
	}
	if err := h.Store(ctx, Credentials{"ftp://h", "u", "s"}); !errors.Is(err, ErrBadServerURL) {
		t.Errorf("Store with a bad URL: %v", err)
	}
}

func TestHelperTooLarge(t *testing.T) {
	ctx := context.Background()
	h := testHelper(t)
	if err := h.Store(ctx, Credentials{"r.example", "u", "small"}); err != nil {
		t.Fatal(err)
	}
	err := h.Store(ctx, Credentials{"r.example", "u", strings.Repeat("s", 2048)})
	var tooLarge *credential.TooLargeError
	if !errors.As(err, &tooLarge) || !strings.Contains(err.Error(), "r.example is 20") || strings.Contains(err.Error(), "sss") {
		t.Fatalf("Store of a 2048-byte secret: %v", err)
	}
	if got, _ := h.Get(ctx, "r.example"); got.Secret != "small" {
		t.Errorf("a refused store changed the item: %q", got.Secret)
	}
}
