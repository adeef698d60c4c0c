package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/logind/logindtest"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/internal/testonly"
)

// agentProc is a `securestore agent` process started by a test, whose
// stderr the test reads line by line to know what the agent did.
type agentProc struct {
	sock  string
	lines chan string
	seen  []string
}

// startAgentProc runs `securestore agent` on a fresh socket with env added
// to the test's environment and stdin as its standard input (nil: none).
func startAgentProc(t *testing.T, env []string, stdin *os.File, args ...string) *agentProc {
	t.Helper()
	d, err := os.MkdirTemp("", "sa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	sock := filepath.Join(d, "agent.sock")
	cmd := exec.Command("securestore", append([]string{"agent", "--sock", sock, "--lock-after", "0", "--max-unlocked", "0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(unix.SIGTERM)
		cmd.Wait()
	})
	p := &agentProc{sock: sock, lines: make(chan string, 64)}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		io.Copy(io.Discard, stderr)
	}()
	return p
}

// waitLine reads the agent's stderr until a line contains want. The
// deadline only guards against a hang; nothing is timed.
func (p *agentProc) waitLine(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("the agent ended before saying %q; it said:\n%s", want, strings.Join(p.seen, "\n"))
			}
			p.seen = append(p.seen, l)
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("the agent did not say %q; it said:\n%s", want, strings.Join(p.seen, "\n"))
		}
	}
}

// passcodeStore creates a store with passcode 1234 (cheap KDF costs, which
// the store records, so the agent uses them too) and one WhenUnlocked item.
func passcodeStore(t *testing.T, sock string) (agent.StoreRef, *securestore.Store) {
	t.Helper()
	ctx := testonly.WithCheapKDFs(context.Background())
	dir := filepath.Join(t.TempDir(), "stores")
	s, err := securestore.Open(ctx, securestore.Config{App: "session.test", Dir: dir, Protector: "file", Agent: sock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetItem(ctx, "k", "v", nil); err != nil {
		t.Fatal(err)
	}
	return agent.StoreRef{Dir: dir, Kind: "app", Name: "session.test", Protector: "file"}, s
}

func agentStatus(t *testing.T, c *agent.Client, ref agent.StoreRef) (locked bool) {
	t.Helper()
	ss, err := c.Status(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return len(ss) == 0 || ss[0].Locked
}

// sessionAgent starts an agent that watches session 7 on bus (whose
// logind the caller started), and returns it with a client and a store
// with a passcode ("1234") that the client can unlock.
func sessionAgent(t *testing.T, bus *logindtest.Bus) (*agentProc, *agent.Client, agent.StoreRef) {
	t.Helper()
	p := startAgentProc(t, []string{"DBUS_SYSTEM_BUS_ADDRESS=" + bus.Address, "XDG_SESSION_ID=7"}, nil)
	p.waitLine(t, "listening on")
	p.waitLine(t, "watching the session")
	ref, _ := passcodeStore(t, p.sock)
	c, err := agent.Dial(context.Background(), p.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return p, c, ref
}

// TestAgentLocksWithTheSession runs the agent against a private bus with a
// service speaking logind's interface, and checks that the session's Lock
// signal, LockedHint=true and PrepareForSleep(true) each lock it.
func TestAgentLocksWithTheSession(t *testing.T) {
	bus := logindtest.StartBus(t)
	ld := logindtest.Start(t, bus.Address, logindtest.Session{ID: "7", PID: os.Getpid(), UID: os.Getuid()})
	p, c, ref := sessionAgent(t, bus)
	ctx := context.Background()

	for _, tc := range []struct {
		name, reason string
		emit         func()
	}{
		{"Lock signal", "session locked", func() { ld.Lock("7") }},
		{"LockedHint", "session locked", func() { ld.SetLockedHint("7", true) }},
		{"PrepareForSleep", "before sleep", func() { ld.PrepareForSleep(true) }},
	} {
		if _, err := c.Unlock(ctx, ref, []byte("1234")); err != nil {
			t.Fatalf("%s: unlock: %v", tc.name, err)
		}
		if agentStatus(t, c, ref) {
			t.Fatalf("%s: locked right after the unlock", tc.name)
		}
		tc.emit()
		p.waitLine(t, "agent: locked: "+tc.reason)
		if !agentStatus(t, c, ref) {
			t.Fatalf("%s: the agent is still unlocked after it said it locked", tc.name)
		}
		// Reset the session for the next case.
		ld.SetLockedHint("7", false)
		ld.PrepareForSleep(false)
	}
}

// TestAgentWithoutSystemBus: no bus at the address: said once, and the
// agent serves on.
func TestAgentWithoutSystemBus(t *testing.T) {
	p := startAgentProc(t, []string{"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "nobus")}, nil)
	p.waitLine(t, "not watching the session")
	c, err := agent.Dial(context.Background(), p.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Status(context.Background(), agent.StoreRef{}); err != nil {
		t.Fatalf("the agent without a bus does not serve: %v", err)
	}
}

// TestAgentPromptsThroughPinentry: an unlock request without a passcode
// makes the agent ask through the real pinentry-tty on its terminal (a
// pty the test types on).
func TestAgentPromptsThroughPinentry(t *testing.T) {
	prog, err := exec.LookPath("pinentry-tty")
	if err != nil {
		servicetest.Missing(t, "pinentry-tty", "not on $PATH", "apt-get install pinentry-tty")
	}
	term := openTestPTY(t)
	p := startAgentProc(t, nil, term.slave, "--no-session-watch", "--pinentry", prog)
	p.waitLine(t, "listening on")
	ref, _ := passcodeStore(t, p.sock)
	ctx := context.Background()
	c, err := agent.Dial(ctx, p.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() { _, err := c.Unlock(ctx, ref, nil); done <- err }()
	term.waitFor(t, "Passcode:")
	term.type_(t, "1234\n")
	if err := <-done; err != nil {
		t.Fatalf("unlock through pinentry: %v", err)
	}
	if agentStatus(t, c, ref) {
		t.Fatal("the agent is locked after the passcode was typed at pinentry")
	}
}

// testPTY is a pseudo-terminal: the test plays the user on master.
type testPTY struct {
	master, slave *os.File
	seen          strings.Builder
}

func openTestPTY(t *testing.T) *testPTY {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	master := os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slave.Close() })
	return &testPTY{master: master, slave: slave}
}

func (p *testPTY) waitFor(t *testing.T, want string) {
	t.Helper()
	p.master.SetReadDeadline(time.Now().Add(60 * time.Second))
	buf := make([]byte, 512)
	for !strings.Contains(p.seen.String(), want) {
		n, err := p.master.Read(buf)
		p.seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("waiting for %q on the terminal: %v; it showed %q", want, err, p.seen.String())
		}
	}
}

func (p *testPTY) type_(t *testing.T, keys string) {
	t.Helper()
	if _, err := p.master.Write([]byte(keys)); err != nil {
		t.Fatal(err)
	}
}

// TestRequireAuthenticationThroughPinentry sets and reads an item set with
// RequireAuthentication through an agent process whose prompt is the
// real pinentry-tty on a pty the test types on: each call shows its
// AuthenticationPrompt and needs the passcode.
func TestRequireAuthenticationThroughPinentry(t *testing.T) {
	prog, err := exec.LookPath("pinentry-tty")
	if err != nil {
		servicetest.Missing(t, "pinentry-tty", "not on $PATH", "apt-get install pinentry-tty")
	}
	term := openTestPTY(t)
	p := startAgentProc(t, nil, term.slave, "--no-session-watch", "--pinentry", prog)
	p.waitLine(t, "listening on")
	_, s := passcodeStore(t, p.sock)
	ctx := testonly.WithCheapKDFs(context.Background())
	if ok, why := s.CanUseAuthentication(ctx); !ok {
		t.Fatalf("CanUseAuthentication with pinentry-tty on a terminal: %s", why)
	}

	done := make(chan error, 1)
	go func() {
		done <- s.SetItem(ctx, "tok", "s3cret", &securestore.Options{RequireAuthentication: true, AuthenticationPrompt: "Store the deploy token"})
	}()
	term.waitFor(t, "Store the deploy token")
	term.waitFor(t, "Passcode:")
	term.type_(t, "1234\n")
	if err := <-done; err != nil {
		t.Fatalf("SetItem through pinentry: %v", err)
	}

	type result struct {
		v   string
		err error
	}
	got := make(chan result, 1)
	go func() {
		v, err := s.GetItem(ctx, "tok", &securestore.Options{AuthenticationPrompt: "Show the deploy token"})
		got <- result{v, err}
	}()
	term.waitFor(t, "Show the deploy token")
	term.type_(t, "1234\n")
	if r := <-got; r.err != nil || r.v != "s3cret" {
		t.Fatalf("GetItem through pinentry: %q, %v", r.v, r.err)
	}
}

// TestAgentLocksOnReconnectToLockedSession backs docs/SECURITY.md's
// promise that the agent locks on reconnecting to a session that locked
// while it could not see it: the system bus dies, the session locks
// meanwhile (logind comes back with LockedHint already true, so no signal
// ever says so), and once the watch is back the agent's stores are locked.
func TestAgentLocksOnReconnectToLockedSession(t *testing.T) {
	bus := logindtest.StartBus(t)
	session := logindtest.Session{ID: "7", PID: os.Getpid(), UID: os.Getuid()}
	logindtest.Start(t, bus.Address, session)
	p, c, ref := sessionAgent(t, bus)
	ctx := context.Background()
	if _, err := c.Unlock(ctx, ref, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if agentStatus(t, c, ref) {
		t.Fatal("locked right after the unlock")
	}

	// Losing the bus does not lock by itself (logind's TestShouldLock).
	bus.Stop()
	p.waitLine(t, "lost the session watch")
	// The session locks while the agent is blind.
	bus.Start()
	session.Locked = true
	logindtest.Start(t, bus.Address, session)
	p.waitLine(t, "watching the session again")
	p.waitLine(t, "agent: locked: session locked (LockedHint)")
	if !agentStatus(t, c, ref) {
		t.Fatal("the agent is still unlocked after reconnecting to a locked session")
	}
}

// TestAgentLocksWhenLogindReturnsLocked: the same promise when it is
// logind, not the bus, that goes away (it restarts): the session locks
// while no logind answers, and the agent locks when logind is back.
func TestAgentLocksWhenLogindReturnsLocked(t *testing.T) {
	bus := logindtest.StartBus(t)
	session := logindtest.Session{ID: "7", PID: os.Getpid(), UID: os.Getuid()}
	ld := logindtest.Start(t, bus.Address, session)
	p, c, ref := sessionAgent(t, bus)
	ctx := context.Background()
	if _, err := c.Unlock(ctx, ref, []byte("1234")); err != nil {
		t.Fatal(err)
	}

	// Losing logind does not lock by itself (logind's TestShouldLock).
	ld.Stop()
	p.waitLine(t, "lost the session watch")
	session.Locked = true
	logindtest.Start(t, bus.Address, session)
	p.waitLine(t, "watching the session again")
	p.waitLine(t, "agent: locked: session locked (LockedHint)")
	if !agentStatus(t, c, ref) {
		t.Fatal("the agent is still unlocked after logind came back with the session locked")
	}
}
