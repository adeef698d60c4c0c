//go:build unix

package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The tests in this file run agents and clients as real processes: the
// test binary re-executed with AGENT_TEST_ROLE set.

func TestMain(m *testing.M) {
	switch os.Getenv("AGENT_TEST_ROLE") {
	case "":
		os.Exit(m.Run())
	case "agent":
		roleAgent()
	case "client":
		roleClient()
	case "half-frame":
		roleHalfFrame()
	case "activated":
		roleActivated()
	default:
		fmt.Fprintln(os.Stderr, "unknown role")
		os.Exit(2)
	}
}

// roleAgent serves AGENT_TEST_SOCK; with AGENT_TEST_BLOCK its Unlocks
// block (a request in flight). It prints "ready" once listening and
// "unlocking" when an Unlock is in flight.
func roleAgent() {
	l, err := Listen(os.Getenv("AGENT_TEST_SOCK"))
	if err != nil {
		fmt.Println("listen:", err)
		if errors.Is(err, ErrAgentRunning) {
			os.Exit(3)
		}
		os.Exit(1)
	}
	u := newTestUnlocker()
	if os.Getenv("AGENT_TEST_BLOCK") != "" {
		u.block = make(chan struct{})
		u.entered = make(chan struct{})
		go func() {
			for range u.entered {
				fmt.Println("unlocking")
			}
		}()
	}
	s := NewServer(Options{Unlocker: u})
	fmt.Println("ready")
	go func() { io.Copy(io.Discard, os.Stdin); s.Close() }() // stdin closed: stop
	if err := s.Serve(l); err != nil {
		fmt.Println("serve:", err)
	}
	l.Close()
}

// roleClient dials and asks for the status; it prints "ok" or the error.
func roleClient() {
	c, err := Dial(context.Background(), os.Getenv("AGENT_TEST_SOCK"))
	if err == nil {
		_, err = c.Status(context.Background(), StoreRef{})
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ok")
}

// roleActivated is an agent started by socket activation: systemd sets
// LISTEN_PID to the child's pid after fork, which exec.Cmd cannot, so the
// role sets it to its own before looking.
func roleActivated() {
	os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	l, ok, err := ListenActivated()
	if err != nil || !ok {
		fmt.Println("not activated:", ok, err)
		os.Exit(1)
	}
	s := NewServer(Options{Unlocker: newTestUnlocker()})
	fmt.Println("ready")
	go func() { io.Copy(io.Discard, os.Stdin); s.Close() }()
	s.Serve(l)
}

// roleHalfFrame sends half a request and waits to be killed.
func roleHalfFrame() {
	c, err := net.Dial("unix", os.Getenv("AGENT_TEST_SOCK"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	c.Write([]byte{0, 0, 1, 0, Version})
	fmt.Println("sent")
	select {}
}

type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startRole(t *testing.T, role, sock string, extra ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "AGENT_TEST_ROLE="+role, "AGENT_TEST_SOCK="+sock)
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

func (p *proc) line(t *testing.T) string {
	t.Helper()
	if !p.out.Scan() {
		return "<EOF>"
	}
	return p.out.Text()
}

func (p *proc) expect(t *testing.T, want string) {
	t.Helper()
	if got := p.line(t); got != want {
		t.Fatalf("helper said %q, want %q", got, want)
	}
}

func TestTwoAgentsAtOnce(t *testing.T) {
	sock := filepath.Join(shortDir(t), "agent.sock")
	a, b := startRole(t, "agent", sock), startRole(t, "agent", sock)
	la, lb := a.line(t), b.line(t)
	if (la == "ready") == (lb == "ready") {
		t.Fatalf("agents said %q and %q: want exactly one ready", la, lb)
	}
	loser := b
	if lb == "ready" {
		loser = a
	}
	var ee *exec.ExitError
	if err := loser.cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("the second agent: %v, want exit 3 (ErrAgentRunning)", err)
	}
}

// An agent killed during a request: the client gets ErrUnavailable, and
// the next agent replaces the stale socket and starts locked.
func TestAgentKilledMidRequest(t *testing.T) {
	sock := filepath.Join(shortDir(t), "agent.sock")
	a := startRole(t, "agent", sock, "AGENT_TEST_BLOCK=1")
	a.expect(t, "ready")
	c := must[*Client](t)(Dial(ctx, sock))
	defer c.Close()
	errc := make(chan error, 1)
	go func() { _, err := c.Unlock(ctx, testRef, []byte("1234")); errc <- err }()
	a.expect(t, "unlocking")
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	wantErr(t, <-errc, ErrUnavailable)
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("the dead agent's socket should remain (stale): %v", err)
	}

	b := startRole(t, "agent", sock)
	b.expect(t, "ready")
	st, err := c.Status(ctx, StoreRef{}) // the pooled connection is dead: the client redials
	if err != nil || len(st) != 0 {
		t.Fatalf("the new agent: %+v, %v; want nothing unlocked", st, err)
	}
}

// A client killed in the middle of a frame costs the agent nothing.
func TestClientKilledMidRequest(t *testing.T) {
	s, c, sock := startServer(t, Options{Unlocker: newTestUnlocker()})
	h := startRole(t, "half-frame", sock)
	h.expect(t, "sent")
	h.cmd.Process.Signal(syscall.SIGKILL)
	h.cmd.Wait()
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.conns) <= 1 })
	must[uint64](t)(c.Unlock(ctx, testRef, []byte("1234")))
}

func TestManyClientProcesses(t *testing.T) {
	_, _, sock := startServer(t, Options{Unlocker: newTestUnlocker()})
	const n = 64
	var wg sync.WaitGroup
	fails := make(chan string, n)
	for range n {
		p := startRole(t, "client", sock)
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, _ := io.ReadAll(io.MultiReader(strings.NewReader(""), readerOf(p)))
			if err := p.cmd.Wait(); err != nil || strings.TrimSpace(string(out)) != "ok" {
				fails <- fmt.Sprintf("%v: %s", err, out)
			}
		}()
	}
	wg.Wait()
	close(fails)
	for f := range fails {
		t.Error(f)
	}
}

func readerOf(p *proc) io.Reader {
	var b strings.Builder
	for p.out.Scan() {
		b.WriteString(p.out.Text() + "\n")
	}
	return strings.NewReader(b.String())
}

func TestListenRefusesLooseOrForeign(t *testing.T) {
	d := shortDir(t)
	loose := filepath.Join(d, "loose")
	os.Mkdir(loose, 0o755)
	var pe *PermissionError
	if _, err := Listen(filepath.Join(loose, "agent.sock")); !errors.As(err, &pe) {
		t.Fatalf("a 0755 directory: %v, want *PermissionError", err)
	}
	// A stale socket of another uid is not removed.
	if os.Getuid() != 0 {
		t.Skip("chown to another uid needs root")
	}
	priv := filepath.Join(d, "priv")
	os.Mkdir(priv, 0o700)
	sock := filepath.Join(priv, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	os.Chown(sock, 65534, 65534)
	if _, err := Listen(sock); !errors.As(err, &pe) {
		t.Fatalf("a socket of another uid: %v, want *PermissionError", err)
	}
	os.Chown(priv, 65534, 65534)
	if _, err := Listen(filepath.Join(priv, "other.sock")); !errors.As(err, &pe) {
		t.Fatalf("a directory of another uid: %v, want *PermissionError", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	sock := filepath.Join(shortDir(t), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a dead agent's socket file
	nl, err := Listen(sock)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer nl.Close()
	fi, _ := os.Lstat(sock)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
}

// A peer of another uid is refused and logged. The test runs a client as
// uid 65534 (needs root), on a socket it can reach.
func TestPeerOfAnotherUIDRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("running a client as another uid needs root")
	}
	d := shortDir(t)
	os.Chmod(d, 0o755)
	exe := filepath.Join(d, "client")
	self, _ := os.Executable()
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(d, "open.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(sock, 0o777)
	s := NewServer(Options{Unlocker: newTestUnlocker()})
	go s.Serve(l)
	defer s.Close()

	cmd := exec.Command(exe)
	cmd.Env = []string{"AGENT_TEST_ROLE=client", "AGENT_TEST_SOCK=" + sock}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not reachable") {
		t.Fatalf("a client of uid 65534: %v: %s; want refused", err, out)
	}
	c := must[*Client](t)(Dial(ctx, sock))
	defer c.Close()
	log := must[[]LogEntry](t)(c.Log(ctx))
	if len(log) == 0 || !strings.Contains(log[0].Result, "refused: uid 65534") || log[0].UID != 65534 {
		t.Fatalf("log: %+v", log)
	}
}

// Socket activation: the agent serves the socket it is handed as fd 3.
func TestSocketActivation(t *testing.T) {
	sock := filepath.Join(shortDir(t), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := l.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "AGENT_TEST_ROLE=activated", "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	defer func() { stdin.Close(); cmd.Wait() }()
	p := &proc{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	p.expect(t, "ready")
	c := must[*Client](t)(Dial(ctx, sock))
	defer c.Close()
	must[uint64](t)(c.Unlock(ctx, testRef, []byte("1234")))
	if st := must[[]StoreStatus](t)(c.Status(ctx, testRef)); len(st) != 1 {
		t.Fatalf("status %+v", st)
	}
}
