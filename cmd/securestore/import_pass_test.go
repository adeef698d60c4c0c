//go:build unix

package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// TestImportPassScripts runs testdata/pass/*.txtar with the real gpg and
// pass, each script with its own GNUPGHOME, whose gpg-agent is stopped
// at the end.
func TestImportPassScripts(t *testing.T) {
	for _, prog := range []string{"gpg", "gpgconf", "pass"} {
		if _, err := exec.LookPath(prog); err != nil {
			servicetest.Missing(t, prog, "it is not on $PATH", "apt-get install gnupg pass")
		}
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/pass",
		Cmds:                scriptCmds,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			gnupg := filepath.Join(env.WorkDir, "gnupg")
			env.Setenv("GNUPGHOME", gnupg)
			env.Defer(func() {
				c := exec.Command("gpgconf", "--kill", "all")
				c.Env = append(c.Environ(), "GNUPGHOME="+gnupg)
				c.Run() // nothing to stop when the script failed before gpg ran
			})
			return nil
		},
	})
}
