//go:build unix

package supervise

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"

	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The stand-in child is this test binary run again with
// $SUPERVISE_STANDIN set to what it should do.
func TestMain(m *testing.M) {
	switch os.Getenv("SUPERVISE_STANDIN") {
	case "":
		os.Exit(m.Run())
	case "exit3":
		fmt.Fprintln(os.Stderr, "stand-in failing")
		os.Exit(3)
	case "term": // exits 0 on SIGTERM
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		fmt.Println("ready")
		<-sigs
		os.Exit(0)
	case "ignoreterm": // needs SIGKILL
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		select {}
	}
	os.Exit(99)
}

// standIn returns a Command running the stand-in, and the lines it
// prints on stdout.
func standIn(t *testing.T, what string) (func() *exec.Cmd, <-chan string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	return func() *exec.Cmd {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "SUPERVISE_STANDIN="+what)
		r, w, err := os.Pipe()
		if err != nil {
			t.Error(err)
			return cmd
		}
		cmd.Stdout = w
		go func() {
			s := bufio.NewScanner(r)
			for s.Scan() {
				lines <- s.Text()
			}
			r.Close()
		}()
		t.Cleanup(func() { w.Close() })
		return cmd
	}, lines
}

// fakeClock is driven by the test: After reports each wait asked for on
// asked and returns a channel the test fires; Now moves on by step at
// each call.
type fakeClock struct {
	now   atomic.Int64
	step  atomic.Int64
	asked chan timer
}

type timer struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{asked: make(chan timer, 16)} }

func (c *fakeClock) Now() time.Time {
	return time.Unix(0, c.now.Add(c.step.Load()))
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	t := timer{d: d, fire: make(chan time.Time, 1)}
	c.asked <- t
	return t.fire
}

// wait returns the next wait the supervisor asks for (the test fails if
// none comes within a minute: a hang, not a timing assertion).
func (c *fakeClock) wait(t *testing.T) timer {
	t.Helper()
	select {
	case tm := <-c.asked:
		return tm
	case <-time.After(time.Minute):
		t.Fatal("the supervisor asked for no timer")
		return timer{}
	}
}

func TestRestartsWithCappedBackoff(t *testing.T) {
	command, _ := standIn(t, "exit3")
	clock := newFakeClock()
	c := Start(Options{Name: "s", Command: command, Clock: clock})
	defer c.Stop()
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60}
	for i, w := range want {
		tm := clock.wait(t)
		if tm.d != w*time.Second {
			t.Fatalf("wait %d: %v, want %v", i, tm.d, w*time.Second)
		}
		st := c.Status()
		if st.Running || st.PID != 0 || st.Restarts != i || st.LastExit != "exit status 3" {
			t.Fatalf("status after run %d: %+v", i+1, st)
		}
		tm.fire <- time.Time{}
	}
}

func TestBackoffResetsAfterAHealthyRun(t *testing.T) {
	command, _ := standIn(t, "exit3")
	clock := newFakeClock()
	c := Start(Options{Name: "s", Command: command, Clock: clock})
	defer c.Stop()
	for _, w := range []time.Duration{1, 2, 4} {
		tm := clock.wait(t)
		if tm.d != w*time.Second {
			t.Fatalf("wait %v, want %v", tm.d, w*time.Second)
		}
		if w == 4 {
			clock.step.Store(int64(2 * time.Minute)) // the next run lasts two minutes
		}
		tm.fire <- time.Time{}
	}
	if tm := clock.wait(t); tm.d != time.Second {
		t.Fatalf("after a two-minute run: wait %v, want 1s", tm.d)
	}
}

func TestStopSendsSIGTERM(t *testing.T) {
	command, lines := standIn(t, "term")
	clock := newFakeClock()
	c := Start(Options{Name: "s", Command: command, Clock: clock})
	if l := <-lines; l != "ready" {
		t.Fatalf("stand-in said %q", l)
	}
	st := c.Status()
	if !st.Running || st.PID == 0 {
		t.Fatalf("status of a running child: %+v", st)
	}
	c.Stop() // returns without the grace timer firing: SIGTERM was enough
	if got := c.Status(); got.Running || got.LastExit != "exit status 0" || got.Restarts != 0 {
		t.Fatalf("status after Stop: %+v", got)
	}
	assertGone(t, st.PID)
}

func TestStopKillsAChildThatIgnoresSIGTERM(t *testing.T) {
	command, lines := standIn(t, "ignoreterm")
	clock := newFakeClock()
	c := Start(Options{Name: "s", Command: command, Clock: clock, StopGrace: 7 * time.Second})
	if l := <-lines; l != "ready" {
		t.Fatalf("stand-in said %q", l)
	}
	pid := c.Status().PID
	stopped := make(chan struct{})
	go func() { c.Stop(); close(stopped) }()
	tm := clock.wait(t)
	if tm.d != 7*time.Second {
		t.Fatalf("grace %v, want 7s", tm.d)
	}
	select {
	case <-stopped:
		t.Fatal("Stop returned before the grace period ended, with the child ignoring SIGTERM")
	default:
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the child is gone before SIGKILL: %v", err)
	}
	tm.fire <- time.Time{}
	<-stopped
	if got := c.Status(); got.Running || got.LastExit != "signal: killed" {
		t.Fatalf("status after Stop: %+v", got)
	}
	assertGone(t, pid)
}

func TestStopDuringBackoff(t *testing.T) {
	command, _ := standIn(t, "exit3")
	clock := newFakeClock()
	c := Start(Options{Name: "s", Command: command, Clock: clock})
	clock.wait(t)
	c.Stop() // without firing the backoff timer
	if st := c.Status(); st.Restarts != 0 || st.Running {
		t.Fatalf("status: %+v", st)
	}
}

func TestAProgramThatDoesNotStart(t *testing.T) {
	clock := newFakeClock()
	c := Start(Options{Name: "s", Clock: clock, Command: func() *exec.Cmd {
		return exec.Command("/nonexistent/securestore-sync")
	}})
	defer c.Stop()
	if tm := clock.wait(t); tm.d != time.Second {
		t.Fatalf("wait %v", tm.d)
	}
	if st := c.Status(); !strings.HasPrefix(st.LastExit, "did not start: ") {
		t.Fatalf("status: %+v", st)
	}
}

// assertGone checks that no process pid is left (it was waited for, so
// not even a zombie).
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process %d is still there (kill 0: %v)", pid, err)
	}
}
