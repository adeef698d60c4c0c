package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/agent"
)

// This file is the unlock command: unlock the app's store in the agent,
// for every program of the session, starting the agent if none runs.

var unlockCommand = &command{
	name:    "unlock",
	summary: "unlock the app's store in the agent, for the whole session",
	help: `Ask for the passcode of the app's store once and unlock the store in the
agent (securestore agent), so that every program of the user reads its
protected items without asking, until the agent locks ('securestore
lock', --lock-after, --max-unlocked, the agent's end). When no agent
runs, unlock starts one in the background, as gpg-agent is started, with
its default timeouts; $SECURESTORE_AGENT_SOCK names its socket.

The passcode is typed at the terminal, or given on a file descriptor
with --passcode-fd N. A wrong passcode exits with status 5 and counts
towards the wrong-passcode delay, as everywhere.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		definePasscodeFD(fs, &inv.secrets)
		return runUnlock
	},
}

// agentStartTimeout bounds the wait for an agent started on demand.
const agentStartTimeout = 10 * time.Second

func runUnlock(ctx context.Context, inv *invocation, _ []string) error {
	if inv.global.group != "" {
		return &usageError{command: "unlock", msg: "access groups have no passcode: it protects the app's own store; leave out --group"}
	}
	if err := ensureAgent(ctx, inv); err != nil {
		return err
	}
	return inv.withExistingStore(ctx, func(s *securestore.Store) error {
		if !s.UsesAgent() {
			return fmt.Errorf("unlock: %w", agent.ErrUnavailable)
		}
		cause := fmt.Errorf("unlock: app %q: %w", inv.app(), securestore.ErrLocked)
		if err := inv.unlock(ctx, s, cause); err != nil {
			return err
		}
		fmt.Fprintf(inv.stderr, "app %q is unlocked in the agent\n", inv.app())
		return nil
	})
}

// ensureAgent starts an agent unless one answers on the socket.
func ensureAgent(ctx context.Context, inv *invocation) error {
	c, err := dialAgent(ctx, "")
	if err == nil {
		c.Close()
		return nil
	}
	if !errors.Is(err, agent.ErrUnavailable) {
		return err
	}
	return startAgent(ctx, inv)
}

// startAgent runs "securestore agent" detached (its own session, no
// terminal, standard streams on /dev/null) and waits, up to
// agentStartTimeout, until it says on a pipe that it listens. If another
// agent won the race to the socket, that one is as good.
func startAgent(ctx context.Context, inv *invocation) error {
	self, err := selfPath()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		w.Close()
		return err
	}
	defer null.Close()
	cmd := exec.Command(self, "agent", "--ready-fd", "3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{w}
	detachAgent(cmd)
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("start the agent: %w", err)
	}
	go cmd.Wait() // reaps it if it exits while we run
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		ready <- strings.TrimSpace(line) == "ready"
	}()
	select {
	case ok := <-ready:
		if ok {
			fmt.Fprintln(inv.stderr, "started the securestore agent")
			return nil
		}
		// It exited without listening: maybe another agent started first.
		if c, err := dialAgent(ctx, ""); err == nil {
			c.Close()
			return nil
		}
		return errors.New("the securestore agent did not start; run 'securestore agent' to see why")
	case <-time.After(agentStartTimeout):
		r.Close()
		return fmt.Errorf("the securestore agent did not answer within %v", agentStartTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// selfPath is this program, as it was started: the path of argv[0] (so
// that a program installed under another name, or a link, runs as itself).
func selfPath() (string, error) {
	if strings.ContainsRune(os.Args[0], os.PathSeparator) {
		return os.Args[0], nil
	}
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		return p, nil
	}
	return os.Executable()
}
