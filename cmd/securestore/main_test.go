package main

import (
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/cmd/internal/scripttest"
)

// TestMain lets the test binary run as the securestore command inside the
// scripts, and as two helper programs (withfd_test.go, ttytype_*_test.go):
// testscript puts a copy of it on $PATH under each name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"securestore": func() {
			// The scripts run securestore as cron would, without a
			// terminal, unless ttytype or ttyin gives it one: "go test"
			// at a developer's terminal must not make a locked item
			// prompt there and wait.
			detachFromTerminal()
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
		"withfd":  withFD,
		"ttytype": ttyType,
	})
}

// TestScripts runs testdata/script/*.txtar: each script is one behaviour
// of the CLI, written as the commands a user would type. See
// https://pkg.go.dev/github.com/rogpeppe/go-internal/testscript for the
// language; scriptCmds adds commands of our own, and the programs withfd
// and ttytype (see TestMain) pass secrets on file descriptors and type
// them at a terminal.
func TestScripts(t *testing.T) {
	t.Cleanup(removeSyncProgram)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Cmds:                scriptCmds,
		Condition:           scriptCondition,
		RequireExplicitExec: true,
	})
}

var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exits": scripttest.Exits,
	// genvalue FILE COUNT [TAIL] writes COUNT bytes "x" to FILE, then
	// TAIL with Go escapes ('\r\n') interpreted: values of an exact size
	// are too long to write out in a script.
	"genvalue": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 || len(args) > 3 {
			ts.Fatalf("usage: genvalue FILE COUNT [TAIL]")
		}
		count, err := strconv.Atoi(args[1])
		ts.Check(err)
		tail := ""
		if len(args) == 3 {
			tail, err = strconv.Unquote(`"` + args[2] + `"`)
			ts.Check(err)
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Repeat("x", count)+tail), 0o600))
	},
	// filemode FILE PERM checks FILE's permission bits, e.g. 0600: who
	// may read a file is part of the CLI's contract too.
	"filemode": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: filemode FILE PERM")
		}
		want, err := strconv.ParseUint(args[1], 8, 32)
		ts.Check(err)
		fi, err := os.Stat(ts.MkAbs(args[0]))
		ts.Check(err)
		if got := fi.Mode().Perm(); got != fs.FileMode(want) {
			ts.Fatalf("%s has mode %#o, want %#o", args[0], got, want)
		}
	},
	// truncate FILE N cuts FILE to N bytes, or drops its last -N bytes
	// when N is negative: a backup cut short by a full disk.
	"truncate": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: truncate FILE N")
		}
		n, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		fi, err := os.Stat(ts.MkAbs(args[0]))
		ts.Check(err)
		if n < 0 {
			n = max(fi.Size()+n, 0)
		}
		ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
	},
}
