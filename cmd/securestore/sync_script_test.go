package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// Script commands for testdata/script/sync.txtar, which tests the
// dispatcher "securestore sync"; securestore-sync's own scripts, against
// etcd, are in cmd/securestore-sync/testdata/script.
func init() {
	// syncprogram puts a securestore-sync built from this checkout on
	// the script's $PATH. It is built once for all scripts, with the go
	// command that runs the tests. It sets $ETCD to the endpoints of the
	// cluster of .ci/with-etcd (see [etcd]) and $PREFIX to a key prefix of
	// the script's own.
	scriptCmds["syncprogram"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 0 {
			ts.Fatalf("usage: syncprogram")
		}
		dir, err := buildSyncProgram()
		if err != nil {
			ts.Fatalf("build securestore-sync: %v", err)
		}
		release, err := servicetest.EtcdLock(false) // shared with other packages' tests
		if err != nil {
			ts.Fatalf("%v", err)
		}
		ts.Defer(release)
		ts.Setenv("PATH", dir+string(os.PathListSeparator)+ts.Getenv("PATH"))
		ts.Setenv("ETCD", os.Getenv(envEtcd))
		ts.Setenv("PREFIX", fmt.Sprintf("/securestore-script/%d-%d/", os.Getpid(), scriptPrefixes.Add(1)))
	}
	// stdoutvar NAME REGEXP sets $NAME to the first group of REGEXP's
	// match in the last command's stdout (a join code).
	scriptCmds["stdoutvar"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: stdoutvar NAME REGEXP")
		}
		m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
		if len(m) < 2 {
			ts.Fatalf("stdout does not match %q", args[1])
		}
		ts.Setenv(args[0], m[1])
	}
	// standinsyncprogram puts on $PATH a shell script named
	// securestore-sync that stands in for it where only the dispatcher is
	// under test: it prints its arguments and what it read, creates
	// $WORK/ready once it catches SIGINT and SIGTERM, and exits 7 on one
	// after printing its name. Unix only.
	scriptCmds["standinsyncprogram"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 0 {
			ts.Fatalf("usage: standinsyncprogram")
		}
		bin := ts.MkAbs("standin-bin")
		ts.Check(os.MkdirAll(bin, 0o700))
		ts.Check(os.WriteFile(filepath.Join(bin, syncProgram), []byte(standInScript), 0o700))
		ts.Setenv("PATH", bin+string(os.PathListSeparator)+ts.Getenv("PATH"))
	}
	// waitfile FILE waits (at most a minute) until FILE exists: a
	// background program's sign that it is ready.
	scriptCmds["waitfile"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: waitfile FILE")
		}
		deadline := time.Now().Add(time.Minute)
		for {
			if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s did not appear within a minute", args[0])
			}
			time.Sleep(10 * time.Millisecond)
		}
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

// scriptCondition is the scripts' own conditions: [etcd] holds when the
// cluster of .ci/with-etcd runs, and fails the script instead of being
// false under SECURESTORE_REQUIRE_SERVICES=1. With it, each script has
// $ETCD (its endpoints) and $PREFIX, a key prefix of its own.
func scriptCondition(cond string) (bool, error) {
	if cond != "etcd" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if os.Getenv(envEtcd) != "" {
		return true, nil
	}
	if servicetest.Required() {
		return false, fmt.Errorf("etcd is not available ($%s is not set); start it with: .ci/with-etcd go test ./cmd/securestore/ [%s=1 makes this a failure]",
			envEtcd, servicetest.EnvRequire)
	}
	return false, nil
}

// envEtcd holds the endpoints of the cluster that .ci/with-etcd starts.
const envEtcd = "SECURESTORE_TEST_ETCD"

var buildSyncProgram = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "securestore-sync-bin")
	if err != nil {
		return "", err
	}
	syncProgramDir = dir // removeSyncProgram removes it after the last script
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

var scriptPrefixes atomic.Int64

// syncProgramDir is where buildSyncProgram put securestore-sync, if it did.
var syncProgramDir string

// removeSyncProgram removes the securestore-sync that the scripts built.
func removeSyncProgram() {
	if syncProgramDir != "" {
		os.RemoveAll(syncProgramDir)
	}
}

// standInScript is the stand-in securestore-sync of standinsyncprogram.
const standInScript = `#!/bin/sh
echo "args: $*"
if [ "$1" = "run" ]; then
	sleep 120 & pid=$!
	trap 'echo caught INT; kill $pid; exit 7' INT
	trap 'echo caught TERM; kill $pid; exit 7' TERM
	: > "$WORK/ready"
	wait $pid
	exit 1
fi
read -r line && echo "stdin: $line"
exit 3
`

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
