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

var scriptPrefixes atomic.Int64

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
