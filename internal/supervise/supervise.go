package supervise

import (
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Clock is the supervisor's time: the real one by default, a hand-driven
// one in tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Defaults of Options.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
	DefaultStopGrace  = 10 * time.Second
)

// Options say what to run and how to restart it.
type Options struct {
	// Name says which child a log line or a status is about.
	Name string
	// Command returns the command of one run; it is called again for each
	// restart, as an exec.Cmd runs once.
	Command func() *exec.Cmd
	// MinBackoff is the wait before the first restart; each exit doubles
	// it up to MaxBackoff. A run that lasted MaxBackoff or longer resets
	// it: the child was healthy, the exit is news.
	MinBackoff, MaxBackoff time.Duration
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	StopGrace time.Duration
	// Clock is nil for the real one.
	Clock Clock
	// Logf, if set, reports starts and exits.
	Logf func(format string, args ...any)
}

// Status is a child's state, as the agent's status shows it.
type Status struct {
	Name     string
	Running  bool
	PID      int    // of the running child; 0 when none runs
	Restarts int    // starts after the first
	LastExit string // how the last run ended ("exit status 1"); "" before one did
}

// Child is a supervised program. Its methods are safe for concurrent use.
type Child struct {
	opts  Options
	clock Clock

	mu     sync.Mutex
	status Status

	stop chan struct{} // closed by Stop
	once sync.Once
	done chan struct{} // closed when the loop has returned
}

// Start starts the child and supervises it until Stop.
func Start(o Options) *Child {
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.StopGrace <= 0 {
		o.StopGrace = DefaultStopGrace
	}
	c := &Child{opts: o, clock: o.Clock, stop: make(chan struct{}), done: make(chan struct{})}
	if c.clock == nil {
		c.clock = realClock{}
	}
	c.status.Name = o.Name
	go c.loop()
	return c
}

// Status is the child's current state.
func (c *Child) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Stop ends supervision: no more restarts; a running child gets SIGTERM,
// and SIGKILL if it has not exited StopGrace later. Stop returns once the
// child has exited and been waited for.
func (c *Child) Stop() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

func (c *Child) logf(format string, args ...any) {
	if c.opts.Logf != nil {
		c.opts.Logf(format, args...)
	}
}

func (c *Child) stopping() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

func (c *Child) loop() {
	defer close(c.done)
	backoff := c.opts.MinBackoff
	for restart := false; !c.stopping(); restart = true {
		started := c.clock.Now()
		err := c.runOnce(restart)
		if c.stopping() {
			return
		}
		if c.clock.Now().Sub(started) >= c.opts.MaxBackoff {
			backoff = c.opts.MinBackoff
		}
		c.logf("%s: %s; restarting in %v", c.opts.Name, describe(err), backoff)
		select {
		case <-c.stop:
			return
		case <-c.clock.After(backoff):
		}
		backoff = min(2*backoff, c.opts.MaxBackoff)
	}
}

// runOnce runs the child once, until it exits or Stop ends it. A restart
// is counted as the status changes, so that no status shows it counted
// but not yet running.
func (c *Child) runOnce(restart bool) error {
	cmd := c.opts.Command()
	if err := cmd.Start(); err != nil {
		c.mu.Lock()
		c.status.LastExit = describe(err)
		if restart {
			c.status.Restarts++
		}
		c.mu.Unlock()
		return err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	c.mu.Lock()
	c.status.Running, c.status.PID = true, cmd.Process.Pid
	if restart {
		c.status.Restarts++
	}
	c.mu.Unlock()
	c.logf("%s: started, pid %d", c.opts.Name, cmd.Process.Pid)

	select {
	case <-exited:
	case <-c.stop:
		_ = cmd.Process.Signal(syscall.SIGTERM) // fails only once it has exited
		select {
		case <-exited:
		case <-c.clock.After(c.opts.StopGrace):
			c.logf("%s: still running %v after SIGTERM; killing it", c.opts.Name, c.opts.StopGrace)
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	c.mu.Lock()
	c.status.Running, c.status.PID = false, 0
	c.status.LastExit = describe(waitErr)
	c.mu.Unlock()
	return waitErr
}

// describe says how a run ended.
func describe(err error) string {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &exitErr):
		return exitErr.ProcessState.String()
	default:
		return fmt.Sprintf("did not start: %v", err)
	}
}
