package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/logind"
	"github.com/securestore-go/securestore/internal/secmem"
)

// This file is the agent command: run the agent in the foreground, write
// its systemd user units, show its access log, or stop it.

var agentCommand = &command{
	name:     "agent",
	moreArgs: true,
	summary:  "run the agent that keeps stores unlocked for the session (or: agent log, agent stop)",
	help: `Run the securestore agent in the foreground. Like ssh-agent and gpg-agent
for their keys, it holds the keys of the stores unlocked with
'securestore unlock', so that every program of the user — securestore
get, the git and docker credential helpers, programs using the library —
reads protected items without asking for the passcode, until the agent
locks. The keys never leave the agent: programs hand it sealed values.

It listens on $SECURESTORE_AGENT_SOCK, else
$XDG_RUNTIME_DIR/securestore/agent.sock (--sock overrides), in a
directory only the user may use; it serves only processes of the same
user. Started by a systemd socket unit, it takes the socket systemd
passes. 'securestore unlock' starts one when none runs.

It locks (drops the keys of the when-unlocked classes; after-first-unlock
stays until the agent ends) after --lock-after without use, --max-unlocked
after the unlock, on 'securestore lock', when the desktop session locks
or the machine is about to sleep (logind on the system bus; a system
without one is said once and the agent runs on; --no-session-watch turns
it off), and when it ends.

When a store must be unlocked, or an item set with requireAuthentication
is read, it asks for the passcode through GnuPG's pinentry program
(--pinentry, else $SECURESTORE_PINENTRY, else "pinentry" on $PATH), on
the terminal it was started from or on the desktop.

  securestore agent log    the access log: when which program read or
                           wrote which item (never a value)
  securestore agent stop   wipe every key and end the agent

--sync app:NAME (or group:NAME; repeatable) keeps that store of the
agent's store directory in sync: the agent runs 'securestore-sync run'
for it, restarts it if it exits, and stops it when the agent ends.

--install-unit writes securestore-agent.service and .socket to
$XDG_CONFIG_HOME/systemd/user (default ~/.config/systemd/user) and says
how to enable them.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		o := &agentFlags{}
		fs.DurationVar(&o.lockAfter, "lock-after", 15*time.Minute, "lock after `DURATION` without use (0: never)")
		fs.DurationVar(&o.maxUnlocked, "max-unlocked", 8*time.Hour, "lock `DURATION` after an unlock, used or not (0: never)")
		fs.StringVar(&o.sock, "sock", "", "listen on `PATH` (default $SECURESTORE_AGENT_SOCK, else $XDG_RUNTIME_DIR/securestore/agent.sock)")
		fs.BoolVar(&o.installUnit, "install-unit", false, "write the systemd user units of a socket-activated agent, and exit")
		fs.StringVar(&o.pinentry, "pinentry", "", "ask for passcodes with `PROGRAM` (default $SECURESTORE_PINENTRY, else pinentry on $PATH)")
		fs.BoolVar(&o.noSessionWatch, "no-session-watch", false, "do not lock when the desktop session locks or before sleep (logind)")
		fs.Var(&o.sync, "sync", "keep `STORE` (app:NAME or group:NAME) in sync: run securestore-sync run for it (repeatable)")
		fs.IntVar(&o.readyFD, "ready-fd", -1, "write \"ready\" to file descriptor `N` once listening (for programs that start the agent)")
		return func(ctx context.Context, inv *invocation, args []string) error { return runAgent(ctx, inv, o, args) }
	},
}

type agentFlags struct {
	lockAfter, maxUnlocked time.Duration
	sock                   string
	installUnit            bool
	readyFD                int
	pinentry               string
	noSessionWatch         bool
	sync                   syncStoresFlag
}

func runAgent(ctx context.Context, inv *invocation, o *agentFlags, args []string) error {
	switch {
	case len(args) > 1:
		return &usageError{command: "agent", msg: "want at most one of: log, stop"}
	case len(args) == 1 && args[0] == "log":
		return agentLog(ctx, inv, o.sock)
	case len(args) == 1 && args[0] == "stop":
		return agentStop(ctx, inv, o.sock)
	case len(args) == 1:
		return &usageError{command: "agent", msg: fmt.Sprintf("unknown action %q; want log or stop", args[0])}
	case o.installUnit:
		return installAgentUnits(inv, o)
	}
	if o.lockAfter < 0 || o.maxUnlocked < 0 {
		return &usageError{command: "agent", msg: "--lock-after and --max-unlocked cannot be negative"}
	}
	if err := secmem.DisableCoreDumps(); err != nil {
		return fmt.Errorf("agent: turn off core dumps: %w", err)
	}
	l, activated, err := agent.ListenActivated()
	if err != nil {
		return err
	}
	if !activated {
		path, err := agentSocket(o.sock)
		if err != nil {
			return err
		}
		al, err := agent.Listen(path)
		if err != nil {
			return err
		}
		l = al
	}
	var socketGone <-chan struct{}
	if !activated {
		socketGone = watchSocket(ctx, l.Addr().String())
	}
	defer l.Close()
	syncs, err := startAgentSyncs(o.sync, l.Addr().String(), inv.stderr)
	if err != nil {
		return err
	}
	defer syncs.Stop() // after srv.Close: the children may talk to the agent until then
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var lockEvents chan agent.LockEvent
	if !o.noSessionWatch {
		lockEvents = make(chan agent.LockEvent)
		go watchSession(watchCtx, logind.Options{}, lockEvents, inv.stderr)
	}
	srv := agent.NewServer(agent.Options{
		Synced:      syncs.Status,
		Unlocker:    securestore.AgentUnlocker(),
		LockAfter:   o.lockAfter,
		MaxUnlocked: o.maxUnlocked,
		Prompter:    newPinentryPrompter(o.pinentry),
		LockEvents:  lockEvents,
		Logf:        func(f string, a ...any) { fmt.Fprintf(inv.stderr, f+"\n", a...) },
	})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
		case <-socketGone:
			fmt.Fprintln(inv.stderr, "securestore agent: the socket was removed or replaced; exiting")
		}
		srv.Close()
	}()
	if o.readyFD >= 0 {
		f := os.NewFile(uintptr(o.readyFD), "ready")
		fmt.Fprintln(f, "ready")
		f.Close()
	}
	fmt.Fprintf(inv.stderr, "securestore agent: listening on %s\n", l.Addr())
	err = srv.Serve(l)
	srv.Close() // wipes every key
	return err
}

// agentSocket is the socket path: the flag's, else the default.
func agentSocket(flagPath string) (string, error) {
	if flagPath != "" {
		return filepath.Abs(flagPath)
	}
	return agent.SocketPath()
}

// dialAgent connects to the running agent, if any (ErrNoAgent otherwise).
func dialAgent(ctx context.Context, flagPath string) (*agent.Client, error) {
	path, err := agentSocket(flagPath)
	if err != nil {
		return nil, err
	}
	return agent.Dial(ctx, path)
}

func agentLog(ctx context.Context, inv *invocation, sock string) error {
	c, err := dialAgent(ctx, sock)
	if err != nil {
		return err
	}
	defer c.Close()
	entries, err := c.Log(ctx)
	if err != nil {
		return err
	}
	for _, e := range entries {
		item := ""
		if e.Service != "" || e.Key != "" {
			item = fmt.Sprintf(" %s/%s", e.Service, e.Key)
		}
		where := ""
		if e.Store != "" {
			where = fmt.Sprintf(" %s%s (%s)", e.Store, item, e.Dir)
		}
		exe := e.Exe
		if exe == "" {
			exe = "?"
		}
		fmt.Fprintf(inv.stdout, "%s pid %d uid %d %s: %s%s: %s\n",
			time.Unix(0, e.Time).Format(time.RFC3339), e.PID, e.UID, exe, e.Op, where, e.Result)
	}
	return nil
}

func agentStop(ctx context.Context, inv *invocation, sock string) error {
	c, err := dialAgent(ctx, sock)
	if errors.Is(err, agent.ErrUnavailable) {
		fmt.Fprintln(inv.stderr, "no agent is running")
		return nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Stop(ctx)
}

// installAgentUnits writes the systemd user units of a socket-activated
// agent.
func installAgentUnits(inv *invocation, o *agentFlags) error {
	base := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("agent --install-unit: no home directory: %w", err)
		}
		base = filepath.Join(home, ".config")
	}
	dir := filepath.Join(base, "systemd", "user")
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	sock := "%t/securestore/agent.sock"
	if o.sock != "" {
		if sock, err = filepath.Abs(o.sock); err != nil {
			return err
		}
	}
	units := map[string]string{
		"securestore-agent.socket": fmt.Sprintf(`[Unit]
Description=securestore agent socket

[Socket]
ListenStream=%s
SocketMode=0600
DirectoryMode=0700

[Install]
WantedBy=sockets.target
`, sock),
		"securestore-agent.service": fmt.Sprintf(`[Unit]
Description=securestore agent: keeps securestore stores unlocked for the session
Requires=securestore-agent.socket

[Service]
ExecStart=%s agent --lock-after %s --max-unlocked %s%s
LimitCORE=0
LimitMEMLOCK=64M
`, systemdQuote(exe), o.lockAfter, o.maxUnlocked, syncUnitArgs(o.sync)),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"securestore-agent.socket", "securestore-agent.service"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(units[name]), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(inv.stdout, "wrote %s\n", p)
	}
	fmt.Fprintln(inv.stdout, "enable it with: systemctl --user daemon-reload && systemctl --user enable --now securestore-agent.socket")
	return nil
}

// systemdQuote quotes a path for an ExecStart line.
func systemdQuote(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\%$") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `%`, `%%`, `$`, `$$`)
	return `"` + r.Replace(s) + `"`
}

// socketCheckInterval is how often the agent checks that its socket file
// is still its own.
const socketCheckInterval = time.Minute

// watchSocket closes the returned channel once the socket file at path is
// gone or is another file, as gpg-agent does: an agent whose socket was
// removed (its runtime directory cleaned at logout, a test's directory
// deleted) can no longer be reached, and ends instead of holding keys.
func watchSocket(ctx context.Context, path string) <-chan struct{} {
	gone := make(chan struct{})
	first, err := os.Lstat(path)
	if err != nil {
		close(gone)
		return gone
	}
	go func() {
		t := time.NewTicker(socketCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if fi, err := os.Lstat(path); err != nil || !os.SameFile(first, fi) {
				close(gone)
				return
			}
		}
	}()
	return gone
}
