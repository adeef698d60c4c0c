//go:build unix

package main

import (
	"errors"
	"strconv"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	// gone PID checks that no process PID exists, not even a zombie: its
	// parent stopped and waited for it. "! gone PID" checks that it runs.
	scriptCmds["gone"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: gone PID")
		}
		pid, err := strconv.Atoi(args[0])
		ts.Check(err)
		err = syscall.Kill(pid, 0)
		switch {
		case neg && err != nil:
			ts.Fatalf("process %d is not running: %v", pid, err)
		case !neg && !errors.Is(err, syscall.ESRCH):
			ts.Fatalf("process %d is still there (kill 0: %v)", pid, err)
		}
	}
	// signal PID NAME sends the signal NAME (TERM, KILL) to PID.
	scriptCmds["signal"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: signal PID TERM|KILL")
		}
		pid, err := strconv.Atoi(args[0])
		ts.Check(err)
		sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL}[args[1]]
		if sig == 0 {
			ts.Fatalf("unknown signal %q", args[1])
		}
		ts.Check(syscall.Kill(pid, sig))
	}
}
