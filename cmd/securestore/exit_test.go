package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
)

func TestExitCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("securestore: get %q: %w", "k", err) }
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errAbsent, 1},
		{wrap(securestore.ErrNotFound), 1},
		{&notFoundError{err: wrap(securestore.ErrNotFound)}, 1},
		{&usageError{msg: "unknown command"}, 2},
		{wrap(securestore.ErrInvalidKey), 2},
		{wrap(securestore.ErrInvalidOption), 2},
		{wrap(securestore.ErrValueTooLarge), 2},
		{wrap(securestore.ErrLocked), 3},
		{wrap(securestore.ErrNoPasscode), 3},
		{wrap(securestore.ErrWrongPasscode), 5},
		{&wrongPassphraseError{err: wrap(securestore.ErrWrongPasscode)}, 5},
		{&lockedError{err: wrap(securestore.ErrLocked)}, 3},
		{&inputError{msg: "the new passcodes typed do not match"}, 2},
		{&inputError{msg: "no terminal", err: errNoTerminal}, 2},
		{&securestore.PermissionError{Path: "/p", Reason: "r", Fix: "f"}, 4},
		{wrap(securestore.ErrCorrupt), 4},
		{wrap(securestore.ErrClosed), 4},
		{wrap(securestore.ErrNotEntitled), 4},
		{errors.New("disk on fire"), 4},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestReport(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errAbsent, ""},
		// The library's own "securestore: " prefix is not repeated.
		{fmt.Errorf("securestore: get: %w", securestore.ErrLocked), "securestore: get: store is locked\n"},
		{errors.New("read /x: broken pipe"), "securestore: read /x: broken pipe\n"},
		{&usageError{command: "get", msg: "missing KEY"}, "securestore: get: missing KEY\nRun 'securestore get --help' for usage.\n"},
		{&usageError{msg: "no command given"}, "securestore: no command given\nRun 'securestore --help' for usage.\n"},
		// Input errors say what to do themselves: no hint to the help.
		{&inputError{msg: "the new passcode is empty"}, "securestore: the new passcode is empty\n"},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		report(&stderr, tt.err)
		if stderr.String() != tt.want {
			t.Errorf("report(%v) printed %q, want %q", tt.err, stderr.String(), tt.want)
		}
	}
}
