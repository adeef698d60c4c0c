package main

import (
	"fmt"
	"io"
	"os"
)

// tty is the user's terminal, opened by name (tty_*.go) rather than found
// on the standard streams: standard input may carry a value or an export,
// and standard output the export, while the user still sits at the
// terminal. Passcodes and passphrases are asked for there, as ssh and sudo
// ask for passwords.
type tty struct {
	in, out *os.File // the same file on Unix
}

// readSecret shows prompt and reads one line without echo. what names the
// secret in messages.
func (t *tty) readSecret(prompt, what string) ([]byte, error) {
	secret, err := readNoEcho(int(t.in.Fd()), t.out, prompt)
	if err != nil {
		clear(secret)
		if err == io.EOF {
			return nil, &inputError{msg: fmt.Sprintf("no %s typed: the terminal's input ended", what)}
		}
		return nil, fmt.Errorf("read the %s from the terminal: %w", what, err)
	}
	if len(secret) > maxSecretBytes {
		clear(secret)
		return nil, &inputError{msg: fmt.Sprintf("the %s is longer than %d bytes", what, maxSecretBytes)}
	}
	return secret, nil
}

func (t *tty) close() {
	t.in.Close()
	if t.out != t.in {
		t.out.Close()
	}
}
