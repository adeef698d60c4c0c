//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// TestReadingCreatesNoKeyringItem: under the Secret Service, a get of a
// mistyped app adds no item to the keyring (and no file), while a set
// does add one, which shows that the check can see one.
func TestReadingCreatesNoKeyringItem(t *testing.T) {
	servicetest.SharedSecretService(t)
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Skip("secret-tool is not installed")
	}
	dir := filepath.Join(t.TempDir(), "stores")
	suffix := fmt.Sprint(time.Now().UnixNano())
	items := func(app string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "secret-tool", "search", "--all",
			"application", "securestore", "securestore-store", "app:"+app).CombinedOutput()
		if err != nil && len(out) > 0 && !strings.Contains(string(out), "No matching") {
			t.Fatalf("secret-tool search: %v: %s", err, out)
		}
		return string(out)
	}
	typo, real := "typo"+suffix, "real"+suffix
	var stderr strings.Builder
	if rc := run([]string{"--dir", dir, "--protector", "secretservice", "--app", typo, "get", "x"},
		strings.NewReader(""), io.Discard, &stderr); rc != exitNotFound {
		t.Fatalf("get of a mistyped app exited with %d, want %d: %s", rc, exitNotFound, &stderr)
	}
	if got := items(typo); strings.Contains(got, "securestore-store") {
		t.Errorf("get of a mistyped app created a keyring item:\n%s", got)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("get of a mistyped app created %s: %v", dir, err)
	}
	if rc := run([]string{"--dir", dir, "--protector", "secretservice", "--app", real, "set", "k"},
		strings.NewReader("v\n"), io.Discard, io.Discard); rc != exitOK {
		t.Fatalf("set exited with %d", rc)
	}
	t.Cleanup(func() {
		run([]string{"--dir", dir, "--app", real, "migrate", "--to", "file"}, strings.NewReader(""), io.Discard, io.Discard)
	})
	if got := items(real); !strings.Contains(got, "securestore-store") {
		t.Fatalf("secret-tool does not see the item a set created, so it cannot show that get creates none:\n%s", got)
	}
}
