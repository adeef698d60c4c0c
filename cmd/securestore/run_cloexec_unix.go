//go:build unix

package main

import "syscall"

// closeOnExec keeps fd, inherited from run's parent for --passcode-fd,
// out of CMD: Go opens its own files close-on-exec, but not the ones a
// process starts with.
func closeOnExec(fd int) { syscall.CloseOnExec(fd) }
