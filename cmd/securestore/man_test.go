package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManPageForEveryCommand: securestore man writes a page for every
// command in commands, so a new command cannot go without one.
func TestManPageForEveryCommand(t *testing.T) {
	dir := t.TempDir()
	if rc := run([]string{"man", dir}, strings.NewReader(""), io.Discard, io.Discard); rc != 0 {
		t.Fatalf("securestore man exited with %d", rc)
	}
	for _, c := range commands {
		page, err := os.ReadFile(filepath.Join(dir, "securestore-"+c.name+".1"))
		if err != nil {
			t.Errorf("no page for %s: %v", c.name, err)
			continue
		}
		if !strings.Contains(string(page), "Usage: "+c.usageLine()) {
			t.Errorf("the page of %s lacks its usage line", c.name)
		}
	}
}
