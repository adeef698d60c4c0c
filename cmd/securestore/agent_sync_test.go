package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/agent"
)

// Script commands for testdata/script/agent_sync.txtar.
func init() {
	// until REGEXP PROGRAM [ARGS...] runs PROGRAM (like exec) again and
	// again until it succeeds with a stdout that matches REGEXP, for at
	// most a minute: the way to wait for what a background sync applies.
	// The last run's stdout and stderr are the script's.
	scriptCmds["until"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 {
			ts.Fatalf("usage: until REGEXP PROGRAM [ARGS...]")
		}
		re := regexp.MustCompile(args[0])
		deadline := time.Now().Add(time.Minute)
		for {
			err := ts.Exec(args[1], args[2:]...)
			if err == nil && re.MatchString(ts.ReadFile("stdout")) {
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s did not succeed with a stdout matching %q within a minute (last: %v)", args[1], args[0], err)
			}
			time.Sleep(20 * time.Millisecond) // between attempts, not to synchronise
		}
	}
}

// The sync children use the agent that runs them, whatever
// $SECURESTORE_AGENT_SOCK said, and get nothing else added.
func TestSyncChildEnvNamesTheAgentsSocket(t *testing.T) {
	t.Setenv(agent.EnvSock, "/elsewhere/agent.sock")
	env := childEnv("/run/me/agent.sock")
	var socks []string
	for _, kv := range env {
		if strings.HasPrefix(kv, agent.EnvSock+"=") {
			socks = append(socks, kv)
		}
	}
	if len(socks) != 1 || socks[0] != agent.EnvSock+"=/run/me/agent.sock" {
		t.Fatalf("the children's socket variables: %q", socks)
	}
	if len(env) != len(os.Environ()) {
		t.Fatalf("%d variables for the children, the agent has %d", len(env), len(os.Environ()))
	}
}
