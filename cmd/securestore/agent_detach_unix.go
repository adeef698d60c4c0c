//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// detachAgent makes cmd a session of its own: no terminal, no signals of ours.
func detachAgent(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
