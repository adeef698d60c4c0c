//go:build unix

package pinentry

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the program in a session of its own (so also a process
// group of its own): a timeout then kills it with anything it started,
// and, having no controlling terminal, it may set up the user's terminal
// (pinentry-tty turns echo off) without being stopped by SIGTTOU as a
// background job of that terminal would be.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// interruptGroup asks the program to stop as Ctrl-C would: pinentry-tty
// then restores the terminal's echo before it exits.
func interruptGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGINT) }

// killGroup kills the program and its process group.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
