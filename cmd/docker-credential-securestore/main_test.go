package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/cmd/internal/credential/credtest"
)

// TestMain lets the test binary run as docker-credential-securestore:
// testscript puts a copy of it under that name in a directory at the
// front of $PATH, where the scripts and the real docker client find it.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		name: func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout)) },
	})
}

// TestScripts runs testdata/script/*.txtar: the helper protocol driven
// directly, as docker drives it.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"setpasscode": credtest.SetPasscode,
			"startagent":  credtest.StartAgent,
			"agentunlock": credtest.AgentUnlock,
			"agentlock":   credtest.AgentLock,
			// genjson FILE N writes store's input for r.example with a
			// secret of N bytes "x": too long to write out in a script.
			"genjson": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: genjson FILE N")
				}
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				data := `{"ServerURL":"r.example","Username":"u","Secret":"` + strings.Repeat("x", n) + `"}`
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(data), 0o600))
			},
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("SECURESTORE_DIR", env.WorkDir+"/store")
			env.Setenv("SECURESTORE_PROTECTOR", "file")
			return nil
		},
	})
}
