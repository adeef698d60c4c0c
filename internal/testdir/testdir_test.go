package testdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestNewRemovesTree(t *testing.T) {
	var dir string
	t.Run("use", func(t *testing.T) {
		dir = New(t)
		sub := filepath.Join(dir, "a", "b")
		if err := os.MkdirAll(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{filepath.Join(dir, "f"), filepath.Join(sub, "g")} {
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	})
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s is still there after the test: %v", dir, err)
	}
}
