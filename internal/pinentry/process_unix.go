//go:build unix

package pinentry

import (
	"os/exec"
	"syscall"
)

// ownGroup puts the program in a process group of its own, so that a
// timeout kills it together with anything it started.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// interruptGroup asks the program to stop as Ctrl-C would: pinentry-tty
// then restores the terminal's echo before it exits.
func interruptGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGINT) }

// killGroup kills the program and its process group.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
