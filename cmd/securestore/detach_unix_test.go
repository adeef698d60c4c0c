//go:build unix

package main

import "syscall"

// detachFromTerminal starts a new session, which has no controlling
// terminal, so /dev/tty cannot be opened. It fails, harmlessly, when the
// process already leads a session: testscript's ttyin and ttytype start
// their program so, with a terminal of theirs to keep.
func detachFromTerminal() { syscall.Setsid() }
