//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/keyring"
	"github.com/securestore-go/securestore/protector/secretservice"
)

// TestImportKeyringScripts runs testdata/secretservice/*.txtar against the
// real Secret Service of .ci/with-secret-service, which the scripts fill
// with items through secret-tool, or take away (unsetting its bus
// address) to play an ssh session or a cron job.
func TestImportKeyringScripts(t *testing.T) {
	servicetest.SharedSecretService(t)
	if _, err := exec.LookPath("secret-tool"); err != nil {
		servicetest.Missing(t, "secret-tool", "it is not on $PATH", "apt-get install libsecret-tools")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/secretservice",
		Cmds:                scriptCmds,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for _, name := range []string{"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", servicetest.EnvSecretService} {
				env.Setenv(name, os.Getenv(name))
			}
			return nil
		},
	})
}

// TestImportKeyringDropIn: after import-keyring, the go-keyring drop-in
// finds the secret under go-keyring's own service and user names.
func TestImportKeyringDropIn(t *testing.T) {
	servicetest.SharedSecretService(t)
	dir := filepath.Join(t.TempDir(), "store")
	t.Setenv("SECURESTORE_DIR", dir)
	t.Setenv("SECURESTORE_PROTECTOR", "file")
	store := exec.Command("secret-tool", "store", "--label=x", "service", "drop in/test", "username", "alice@example.com")
	store.Stdin = strings.NewReader("drop-in s3cret")
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	var stdout, stderr bytes.Buffer
	if rc := run([]string{"import-keyring", "--delete", "drop in/test"}, strings.NewReader(""), &stdout, &stderr); rc != 0 {
		t.Fatalf("import-keyring: exit %d: %s", rc, stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "s3cret") {
		t.Fatalf("the output holds the secret")
	}
	if err := keyring.Configure(keyring.Config{Dir: dir, Protector: "file"}); err != nil {
		t.Fatal(err)
	}
	got, err := keyring.Get("drop in/test", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got != "drop-in s3cret" {
		t.Fatalf("keyring.Get = %q", got)
	}
}

// TestImportKeyringErrorMidway: the second item is larger than the store
// takes (1 MiB), so storing it fails after the first was stored. The first
// is removed again and the keyring keeps both, even with --delete.
func TestImportKeyringErrorMidway(t *testing.T) {
	servicetest.SharedSecretService(t)
	t.Setenv("SECURESTORE_DIR", filepath.Join(t.TempDir(), "store"))
	t.Setenv("SECURESTORE_PROTECTOR", "file")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	items, err := secretservice.OpenItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer items.Close()
	big := bytes.Repeat([]byte("x"), keyring.DefaultMaxPasswordBytes+1)
	for user, secret := range map[string][]byte{"a-small": []byte("small s3cret"), "b-big": big} {
		if err := items.Create("midway", map[string]string{"service": "imp-midway", "username": user}, secret); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	rc := run([]string{"import-keyring", "--delete", "imp-midway"}, strings.NewReader(""), &stdout, &stderr)
	if rc != exitUsage {
		t.Fatalf("exit %d, want %d (value too large); stderr: %s", rc, exitUsage, stderr.String())
	}
	if want := `securestore: import-keyring: storing key "b-big": `; !strings.HasPrefix(stderr.String(), want) ||
		!strings.HasSuffix(stderr.String(), "; the store and the keyring are as they were\n") {
		t.Fatalf("stderr %q", stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "s3cret") || strings.Contains(stderr.String(), "xxxx") {
		t.Fatalf("the output holds a secret")
	}
	stdout.Reset()
	if rc := run([]string{"--app", "go-keyring", "--service", "imp-midway", "list"}, strings.NewReader(""), &stdout, &stderr); rc != 0 || stdout.Len() != 0 {
		t.Fatalf("list after the failed import: exit %d, %q; want no items", rc, stdout.String())
	}
	left, err := items.Search(map[string]string{"service": "imp-midway"})
	if err != nil || len(left) != 2 {
		t.Fatalf("the keyring has %d of the 2 items (%v)", len(left), err)
	}
	for _, item := range left {
		items.Delete(item)
	}
}
