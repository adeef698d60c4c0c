package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/cmd/internal/credential/credtest"
)

// TestMain lets the test binary run as git-credential-securestore:
// testscript puts a copy of it under that name in a directory at the
// front of $PATH, for the scripts and for the Go tests alike, so the real
// git finds and runs it as it would the installed helper.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		name: func() {
			// $TEST_NOW (Unix seconds) fixes the clock, so that scripts
			// can store a credential before its expiry and read it after
			// without waiting.
			if s := os.Getenv("TEST_NOW"); s != "" {
				sec, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					panic(err)
				}
				clock = func() time.Time { return time.Unix(sec, 0) }
			}
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs testdata/script/*.txtar: the real git driving the
// helper through credential.helper=securestore, in a throwaway HOME with
// no system configuration and no prompts.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"setpasscode": credtest.SetPasscode,
			"startagent":  credtest.StartAgent,
			"agentunlock": credtest.AgentUnlock,
			"agentlock":   credtest.AgentLock,
		},
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			if err := os.Mkdir(home, 0o700); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			env.Setenv("GIT_TERMINAL_PROMPT", "0")
			env.Setenv("GIT_ASKPASS", "")
			env.Setenv("SSH_ASKPASS", "")
			env.Setenv("SECURESTORE_DIR", filepath.Join(env.WorkDir, "store"))
			env.Setenv("SECURESTORE_PROTECTOR", "file")
			return os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[credential]\n\thelper = securestore\n"), 0o600)
		},
	})
}
