package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/securestore-go/securestore"
)

// confirm asks question at the terminal and reports whether the answer
// was yes. Without a terminal (a script, cron) there is no one to ask:
// it returns true, as rm does without -i; scripts that want a guard test
// first.
func (r *secretReader) confirm(question string) (bool, error) {
	if r.tty == nil {
		t, err := openTTY()
		if err != nil {
			return true, nil
		}
		r.tty = t
	}
	fmt.Fprintf(r.tty.out, "%s [y/N] ", question)
	line, err := readLine(r.tty.in, 16)
	if err != nil {
		return false, nil // end of input or a long answer: not a yes
	}
	answer := strings.ToLower(strings.TrimSpace(string(line)))
	return answer == "y" || answer == "yes", nil
}

// errNotConfirmed: the user answered no; nothing changed. Exit status 1,
// like an item that is not there to act on.
var errNotConfirmed = fmt.Errorf("not confirmed; nothing was changed: %w", securestore.ErrNotFound)

// wrongPasscodeError says which command the wrong passcode was for: the
// library's operation may have another name (remove is SetPasscode).
type wrongPasscodeError struct {
	action string
	err    error // wraps securestore.ErrWrongPasscode
}

func (e *wrongPasscodeError) Error() string {
	msg := e.err.Error()
	// Keep the library's count and delay: "wrong passcode (3 in a row: ...)".
	if i := strings.Index(msg, securestore.ErrWrongPasscode.Error()); i >= 0 {
		msg = msg[i:]
	}
	return "passcode " + e.action + ": " + msg
}

func (e *wrongPasscodeError) Unwrap() error { return e.err }

// forAction names the passcode action in a wrong-passcode error.
func forAction(action string, err error) error {
	if errors.Is(err, securestore.ErrWrongPasscode) {
		return &wrongPasscodeError{action: action, err: err}
	}
	return err
}
