package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/supervise"
)

// This file is agent --sync: the agent runs "securestore-sync run" for
// each store it is given, so that sync runs where the keys are (docs/SYNC.md,
// "Where sync runs"). Each child finds the agent by $SECURESTORE_AGENT_SOCK,
// so it opens and seals the passcode classes through it: items of a
// when-unlocked class that arrive while the agent is locked wait in the
// store's inbox and are applied once 'securestore unlock' unlocks it.

// syncStoresFlag is --sync STORE, repeatable. A store is named as status
// prints it: app:NAME or group:NAME, in the agent's store directory
// ($SECURESTORE_DIR, else the default).
type syncStoresFlag []agent.StoreRef

func (f *syncStoresFlag) String() string {
	ids := make([]string, len(*f))
	for i, r := range *f {
		ids[i] = r.ID()
	}
	return strings.Join(ids, ",")
}

func (f *syncStoresFlag) Set(s string) error {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || (kind != "app" && kind != "group") || name == "" || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("want app:NAME or group:NAME, as status prints stores")
	}
	for _, r := range *f {
		if r.Kind == kind && r.Name == name {
			return fmt.Errorf("%s is given twice", s)
		}
	}
	*f = append(*f, agent.StoreRef{Kind: kind, Name: name})
	return nil
}

// syncArgs is the store's flags on securestore-sync's command line.
func syncArgs(r agent.StoreRef) []string {
	if r.Kind == "group" {
		return []string{"--group", r.Name}
	}
	return []string{"--app", r.Name}
}

// syncUnitArgs is the --sync flags of the unit's ExecStart line.
func syncUnitArgs(stores syncStoresFlag) string {
	var b strings.Builder
	for _, r := range stores {
		b.WriteString(" --sync " + systemdQuote(r.ID()))
	}
	return b.String()
}

// agentSyncs is the sync children of one agent.
type agentSyncs struct {
	children []*supervise.Child
	outputs  []*supervise.LineWriter
}

// startAgentSyncs starts securestore-sync run for each store, talking to
// the agent on sock; their output goes to log, each line prefixed by the
// store. With no store it does nothing, and needs no securestore-sync.
func startAgentSyncs(stores syncStoresFlag, sock string, log io.Writer) (*agentSyncs, error) {
	s := &agentSyncs{}
	if len(stores) == 0 {
		return s, nil
	}
	program, err := findSyncProgram()
	if err != nil {
		return nil, fmt.Errorf("agent --sync: %w", err)
	}
	env := childEnv(sock)
	logMu := &sync.Mutex{}
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(log, "securestore agent: sync "+format+"\n", args...)
	}
	for _, store := range stores {
		out := &supervise.LineWriter{W: log, Prefix: "securestore agent: sync " + store.ID() + ": ", Mu: logMu}
		s.outputs = append(s.outputs, out)
		s.children = append(s.children, supervise.Start(supervise.Options{
			Name: store.ID(),
			Command: func() *exec.Cmd {
				out.Flush() // the last run's unterminated line
				cmd := exec.Command(program, append([]string{"run"}, syncArgs(store)...)...)
				cmd.Args[0] = syncProgram
				cmd.Env = env
				cmd.Stdout, cmd.Stderr = out, out // stdin: /dev/null
				return cmd
			},
			Logf: logf,
		}))
	}
	return s, nil
}

// childEnv is the agent's environment with $SECURESTORE_AGENT_SOCK set to
// its socket: the children use this agent, whatever the variable said.
func childEnv(sock string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, agent.EnvSock+"=") {
			env = append(env, kv)
		}
	}
	return append(env, agent.EnvSock+"="+sock)
}

// Status is the children's state, for the agent's Status replies.
func (s *agentSyncs) Status() []agent.SyncStatus {
	var out []agent.SyncStatus
	for _, c := range s.children {
		st := c.Status()
		out = append(out, agent.SyncStatus{Store: st.Name, Running: st.Running, PID: int32(st.PID),
			Restarts: uint32(st.Restarts), LastExit: st.LastExit})
	}
	return out
}

// Stop stops every child (SIGTERM, then SIGKILL after a grace period) and
// returns once all have exited.
func (s *agentSyncs) Stop() {
	var wg sync.WaitGroup
	for _, c := range s.children {
		wg.Go(c.Stop)
	}
	wg.Wait()
	for _, out := range s.outputs {
		out.Flush() // a last line without its newline
	}
}
