package keyring

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the package-level functions at a store in a fresh
// directory, under the file protector, so that no test touches the real
// per-user store.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keyring-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := Configure(Config{Dir: dir, Protector: "file"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = Configure(Config{})
	os.RemoveAll(dir)
	os.Exit(code)
}
