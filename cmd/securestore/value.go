package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/securestore-go/securestore"
	"golang.org/x/term"
)

// This file reads the value for set, from a pipe or file or from the
// user at a terminal. Values never come from the command line, where
// other users see them in the process list.

// readValue reads a value from r (a pipe or a file) and removes one
// trailing newline, "\n" or "\r\n", as "echo" and editors add one.
//
// It reads at most a few bytes more than limit, so that a huge input can
// not exhaust memory: the longest acceptable input is limit bytes plus
// "\r\n", and one byte beyond that tells an input that fits from one that
// does not.
func readValue(r io.Reader, limit int) (string, error) {
	maxInput := limit + len("\r\n")
	data, err := io.ReadAll(io.LimitReader(r, int64(maxInput)+1))
	defer clear(data)
	if err != nil {
		return "", fmt.Errorf("read the value from standard input: %w", err)
	}
	value := trimNewline(data)
	if len(data) > maxInput || len(value) > limit {
		return "", valueTooLarge(limit)
	}
	return string(value), nil
}

// trimNewline removes one trailing "\n" or "\r\n" from b.
func trimNewline(b []byte) []byte {
	if t, ok := bytes.CutSuffix(b, []byte("\r\n")); ok {
		return t
	}
	t, _ := bytes.CutSuffix(b, []byte("\n"))
	return t
}

func valueTooLarge(limit int) error {
	return fmt.Errorf("%w: the value is longer than %d bytes", securestore.ErrValueTooLarge, limit)
}

// terminal returns the file descriptor of stdin when it is a terminal.
func terminal(stdin io.Reader) (fd int, ok bool) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// promptValue asks for the value of key on stderr and reads one line from
// the terminal fd without echoing it.
func promptValue(fd int, stderr io.Writer, key string, limit int) (string, error) {
	line, err := readNoEcho(fd, stderr, fmt.Sprintf("Value for %s: ", key))
	defer clear(line)
	if err != nil {
		return "", fmt.Errorf("read the value from the terminal: %w", err)
	}
	if len(line) > limit {
		return "", valueTooLarge(limit)
	}
	return string(line), nil
}

// readNoEcho shows prompt on out and reads one line from the terminal fd
// without echo: set's value, and passcodes and passphrases (tty.go).
func readNoEcho(fd int, out io.Writer, prompt string) ([]byte, error) {
	fmt.Fprint(out, prompt)
	stop := restoreOnInterrupt(fd, out)
	line, err := term.ReadPassword(fd)
	stop()
	fmt.Fprintln(out) // the user's Enter was not echoed either
	return line, err
}

// restoreOnInterrupt restores the terminal's state and exits with status
// 130 (128 + SIGINT, as shells report it) when the user presses Ctrl-C.
// term.ReadPassword turns echo off and back on, but a Ctrl-C in between
// would end the process with echo still off and leave the shell unusable.
// The returned func stops watching.
func restoreOnInterrupt(fd int, stderr io.Writer) (stop func()) {
	state, err := term.GetState(fd)
	if err != nil {
		return func() {}
	}
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-interrupts:
			term.Restore(fd, state)
			fmt.Fprintln(stderr)
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(interrupts)
		close(done)
	}
}
