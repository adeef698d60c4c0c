// Package credtest holds what the credential helpers' testscript tests
// share: script commands that act on a store the way a user would with the
// securestore CLI, without building it.
package credtest

import (
	"context"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/agent"
)

// SetPasscode is the script command "setpasscode APP PASSCODE": it gives
// the store of APP (in $SECURESTORE_DIR, with $SECURESTORE_PROTECTOR) a
// passcode, as "securestore --app APP passcode set" would. A helper
// process that opens the store afterwards finds it locked.
func SetPasscode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setpasscode APP PASSCODE")
	}
	s, err := securestore.Open(context.Background(), securestore.Config{
		App: args[0], Dir: ts.Getenv("SECURESTORE_DIR"), Protector: ts.Getenv("SECURESTORE_PROTECTOR"),
	})
	ts.Check(err)
	defer s.Close()
	ts.Check(s.SetPasscode(context.Background(), nil, []byte(args[1])))
}

// StartAgent is the script command "startagent": it runs a securestore
// agent (the real server with the real unlocker) in the test process, on
// $SECURESTORE_AGENT_SOCK, until the script ends. Helper processes the
// script runs find it as they would a user's agent.
func StartAgent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: startagent")
	}
	l, err := agent.Listen(ts.Getenv(agent.EnvSock))
	ts.Check(err)
	srv := agent.NewServer(agent.Options{Unlocker: securestore.AgentUnlocker()})
	go srv.Serve(l)
	ts.Defer(func() { srv.Close(); l.Close() })
}

// AgentUnlock is the script command "agentunlock APP PASSCODE": it
// unlocks APP's store in the script's agent, as "securestore --app APP
// unlock" would.
func AgentUnlock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: agentunlock APP PASSCODE")
	}
	s, err := securestore.Open(context.Background(), securestore.Config{
		App: args[0], Dir: ts.Getenv("SECURESTORE_DIR"), Protector: ts.Getenv("SECURESTORE_PROTECTOR"),
		Agent: ts.Getenv(agent.EnvSock), NoCreate: true,
	})
	ts.Check(err)
	defer s.Close()
	ts.Check(s.Unlock(context.Background(), []byte(args[1])))
}

// AgentLock is the script command "agentlock": it locks the script's
// agent, as "securestore lock" would.
func AgentLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: agentlock")
	}
	c, err := agent.Dial(context.Background(), ts.Getenv(agent.EnvSock))
	ts.Check(err)
	defer c.Close()
	ts.Check(c.Lock(context.Background(), agent.StoreRef{}))
}
