package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ttyType is the program "ttytype INPUT TRANSCRIPT PROGRAM [ARGS...]" of
// the scripts. It runs PROGRAM with a new pseudo-terminal as its
// controlling terminal (/dev/tty; its standard streams are ttytype's),
// types each line of INPUT when PROGRAM waits for a secret, writes all
// that the terminal showed to TRANSCRIPT, and exits with PROGRAM's status.
//
// testscript's ttyin writes its input at once, before the program has
// turned echo off, so the terminal echoes it whatever the program does.
// ttytype types a line only when the terminal's ECHO flag is off and,
// after the first line, PROGRAM has written a newline since the last line
// was typed. PROGRAM writes that newline after reading a line (the user's
// Enter was not echoed either), and only once echo is back on, so echo off
// after it belongs to the next prompt. A line therefore shows in
// TRANSCRIPT only if PROGRAM echoed it; a PROGRAM that never turns echo
// off is typed nothing, and ttytype gives up after 30 s. When the lines
// run out and PROGRAM waits for more, ttytype presses Ctrl-C, as a user
// who gives up would.
//
// A line of INPUT that starts with "@" is an answer to a question asked
// with echo on (a "[y/N]" confirmation): ttytype types the rest of it
// while echo is ON, once PROGRAM has shown something since the last line
// was typed and what it showed last does not end in a newline — a prompt
// waiting on its line. The terminal echoes it, newline included, so the
// rule for the next line holds as before.
//
// A PROGRAM that leaves the terminal's echo off would leave the user's
// shell unusable: ttytype then fails with status 125, whatever PROGRAM's.
func ttyType() {
	if len(os.Args) < 4 {
		fail(2, "usage: ttytype INPUT TRANSCRIPT PROGRAM [ARGS...]")
	}
	input, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(2, "ttytype: %v", err)
	}
	lines := strings.SplitAfter(string(input), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}

	ptmx, tty, err := openPTY()
	if err != nil {
		fail(2, "ttytype: %v", err)
	}
	cmd := exec.Command(os.Args[3], os.Args[4:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{tty} // fd 3 in the child
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 3}
	if err := cmd.Start(); err != nil {
		fail(127, "ttytype: %v", err)
	}

	var transcript lockedBuffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&transcript, ptmx) // ends with EIO once no process has the terminal open
		close(copied)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	typed, interrupted := 0, false
	shownAtTyping := 0 // bytes the terminal had shown when the last line was typed
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var waitErr error
wait:
	for {
		select {
		case waitErr = <-exited:
			break wait
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			fmt.Fprintf(os.Stderr, "ttytype: gave up after 30 s; %d of %d lines typed; echo never went off?\n", typed, len(lines))
			waitErr = errTimedOut
			break wait
		case <-tick.C:
			if typed < len(lines) && strings.HasPrefix(lines[typed], "@") {
				shown := transcript.bytes()
				if !echoOn(tty) || len(shown) <= shownAtTyping || shown[len(shown)-1] == '\n' {
					continue
				}
				ptmx.WriteString(strings.TrimSuffix(lines[typed][1:], "\n") + "\n")
				typed++
				shownAtTyping = len(shown)
				continue
			}
			if transcript.count('\n') < typed || echoOn(tty) {
				continue
			}
			switch {
			case typed < len(lines):
				ptmx.WriteString(strings.TrimSuffix(lines[typed], "\n") + "\n")
				typed++
				shownAtTyping = transcript.len()
			case !interrupted:
				ptmx.Write([]byte{3}) // Ctrl-C
				interrupted = true
			}
		}
	}
	echoLeftOff := !echoOn(tty)
	tty.Close()
	<-copied
	ptmx.Close()
	if err := os.WriteFile(os.Args[2], transcript.bytes(), 0o600); err != nil {
		fail(2, "ttytype: %v", err)
	}
	if waitErr == errTimedOut {
		os.Exit(124) // as timeout(1) does
	}
	if echoLeftOff {
		fail(125, "ttytype: %s left the terminal's echo off", os.Args[3])
	}
	os.Exit(commandStatus(waitErr))
}

var errTimedOut = errors.New("timed out")

// openPTY opens a new pseudo-terminal: its controlling side, and the
// terminal that the program gets.
func openPTY() (ptmx, tty *os.File, err error) {
	ptmx, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(ptmx.Fd())
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0)
	}
	if err == nil {
		tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	}
	if err != nil {
		ptmx.Close()
		return nil, nil, err
	}
	return ptmx, tty, nil
}

// echoOn reports whether the terminal echoes what is typed.
func echoOn(tty *os.File) bool {
	t, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	return err != nil || t.Lflag&unix.ECHO != 0
}

// lockedBuffer is a bytes.Buffer that one goroutine writes while another
// reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) count(c byte) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Count(b.buf.Bytes(), []byte{c})
}

func (b *lockedBuffer) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
