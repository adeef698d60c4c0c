package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for testdata/script/sync.txtar, which tests the
// dispatcher "securestore sync"; securestore-sync's own scripts, against
// etcd, are in cmd/securestore-sync/testdata/script.
func init() {
	// syncprogram puts a securestore-sync built from this checkout on
	// the script's $PATH. It is built once for all scripts, with the go
	// command that runs the tests.
	scriptCmds["syncprogram"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 0 {
			ts.Fatalf("usage: syncprogram")
		}
		dir, err := buildSyncProgram()
		if err != nil {
			ts.Fatalf("build securestore-sync: %v", err)
		}
		ts.Setenv("PATH", dir+string(os.PathListSeparator)+ts.Getenv("PATH"))
	}
	// nosyncprogram drops from the script's $PATH every directory that
	// holds a securestore-sync, as on a machine where it is not
	// installed.
	scriptCmds["nosyncprogram"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 0 {
			ts.Fatalf("usage: nosyncprogram")
		}
		var keep []string
		for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
			if _, err := exec.LookPath(filepath.Join(dir, syncProgram)); err != nil {
				keep = append(keep, dir)
			}
		}
		ts.Setenv("PATH", strings.Join(keep, string(os.PathListSeparator)))
	}
}

var buildSyncProgram = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "securestore-sync-bin")
	if err != nil {
		return "", err
	}
	// The directory outlives the test binary's last script; it holds
	// only the program, in the system's temporary directory.
	name := syncProgram
	if filepath.Ext(os.Args[0]) == ".exe" {
		name += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../securestore-sync").CombinedOutput()
	if err != nil {
		return "", &buildError{err: err, out: string(out)}
	}
	return dir, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
