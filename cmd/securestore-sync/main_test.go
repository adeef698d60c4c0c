package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/cmd/internal/scripttest"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// TestMain lets the test binary run as securestore-sync inside the
// scripts: testscript puts a copy of it on $PATH under that name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"securestore-sync": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// envEtcd holds the endpoints of the cluster that .ci/with-etcd starts.
const envEtcd = "SECURESTORE_TEST_ETCD"

// TestScripts runs testdata/script/*.txtar against the real etcd cluster
// of .ci/with-etcd. A script that needs it starts with "[!etcd] skip";
// under SECURESTORE_REQUIRE_SERVICES=1 the condition fails the script
// instead. Each script gets $ETCD (the endpoints) and $PREFIX, a key
// prefix of its own.
func TestScripts(t *testing.T) {
	servicetest.EtcdShared(t) // until every script has run
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("ETCD", os.Getenv(envEtcd))
			env.Setenv("PREFIX", fmt.Sprintf("/securestore-script/%d-%d/", os.Getpid(), scriptPrefixes.Add(1)))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond != "etcd" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			if os.Getenv(envEtcd) != "" {
				return true, nil
			}
			if servicetest.Required() {
				return false, fmt.Errorf("etcd is not available ($%s is not set); start it with: .ci/with-etcd go test ./cmd/securestore-sync/ [%s=1 makes this a failure]",
					envEtcd, servicetest.EnvRequire)
			}
			return false, nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":     scripttest.Exits,
			"stdoutvar": stdoutVar,
		},
	})
}

var scriptPrefixes atomic.Int64

// stdoutvar NAME REGEXP sets $NAME to the first group of REGEXP's match in
// the last command's stdout.
func stdoutVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: stdoutvar NAME REGEXP")
	}
	m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("stdout does not match %q", args[1])
	}
	ts.Setenv(args[0], m[1])
}
