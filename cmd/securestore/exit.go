package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/securestore-go/securestore"
)

// Exit status, as the top-level help documents it. Scripts depend on these
// numbers: never renumber them.
//
//	0  success
//	1  get: no item under the key; has: the item is absent; migrate:
//	   the app has no store yet
//	2  bad usage or input: an unknown command or flag, a missing or extra
//	   argument, an invalid key, service, group or app name, an unknown
//	   accessibility class or protector, a value that is too large, an
//	   import file with entries that are not credentials, a passcode or
//	   passphrase that is empty, typed twice differently or cannot be read
//	   (no terminal and no --passcode-fd), an export FILE that exists
//	   (without --force)
//	3  the item is locked, needs a passcode, or needs a proof of presence
//	   that cannot be had here (ErrLocked, ErrNoPasscode,
//	   ErrAuthenticationRequired: no agent, no pinentry, or the prompt was
//	   dismissed)
//	4  any other failure: a store others can read (PermissionError),
//	   corrupt data or a damaged export (ErrCorrupt), I/O
//	5  a wrong passcode, or a wrong passphrase for an export
//	   (ErrWrongPasscode). It has its own status so that a script can
//	   tell "ask again" from "locked": after three wrong ones in a row the
//	   library makes each further try wait, longer and longer.
//
// Ctrl-C at a prompt exits with 130, as shells report an interrupt.
const (
	exitOK            = 0
	exitNotFound      = 1
	exitUsage         = 2
	exitLocked        = 3
	exitFailure       = 4
	exitWrongPasscode = 5
)

// exitCode maps an error from dispatch to the exit status. The library's
// errors each wrap at most one sentinel but one: a wrong passcode typed at
// the agent's presence prompt is both ErrAuthenticationRequired and
// ErrWrongPasscode, and reads as a wrong passcode (5), whose case comes
// first.
func exitCode(err error) int {
	var usage *usageError
	var input *inputError
	var perm *securestore.PermissionError
	var child *childExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &child):
		return child.code // run: the command's own status
	case errors.Is(err, errAbsent), errors.Is(err, securestore.ErrNotFound):
		return exitNotFound
	case errors.As(err, &usage), errors.As(err, &input),
		errors.Is(err, securestore.ErrInvalidKey),
		errors.Is(err, securestore.ErrInvalidOption),
		errors.Is(err, securestore.ErrValueTooLarge),
		errors.Is(err, errBadImportFile):
		return exitUsage
	case errors.Is(err, securestore.ErrWrongPasscode):
		return exitWrongPasscode
	case errors.Is(err, securestore.ErrLocked),
		errors.Is(err, securestore.ErrNoPasscode),
		errors.Is(err, securestore.ErrAuthenticationRequired):
		return exitLocked
	case errors.As(err, &perm):
		return exitFailure // named for the reader; the default says the same
	default:
		// ErrCorrupt, ErrClosed, ErrNotEntitled (the CLI entitles itself
		// to its --group, so this would be a bug), I/O errors.
		return exitFailure
	}
}

// report prints err to stderr, if it has anything to say, and returns the
// exit status. Messages start with "securestore: " once, and never hold a
// value: the library's errors never do, and the CLI's own never include
// one.
func report(stderr io.Writer, err error) int {
	var child *childExitError
	if err == nil || errors.Is(err, errAbsent) || err == errBareCommand || errors.As(err, &child) {
		return exitCode(err)
	}
	// The library prefixes its errors with "securestore: " too.
	msg := strings.TrimPrefix(err.Error(), "securestore: ")
	fmt.Fprintf(stderr, "securestore: %s\n", msg)
	var usage *usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "Run '%s' for usage.\n", usage.helpCommand())
	}
	return exitCode(err)
}

// errBareCommand is "securestore" without a command: exit status 2 after
// the usage, which says it all.
var errBareCommand = &usageError{msg: "no command given"}

// errAbsent is has's "no": exit status 1 and no message, like grep -q.
var errAbsent = errors.New("item is absent")

// usageError is a command line that does not parse: exit status 2, and a
// hint to the help.
type usageError struct {
	command string // the command, or "" when the error is before it
	msg     string
}

func (e *usageError) Error() string {
	if e.command == "" {
		return e.msg
	}
	return e.command + ": " + e.msg
}

// helpCommand is the command line that shows the help for e.
func (e *usageError) helpCommand() string {
	if e.command == "" {
		return "securestore --help"
	}
	return "securestore " + e.command + " --help"
}

// inputError is input other than the command line that cannot be used: a
// passcode typed twice differently, an empty one, a file descriptor that
// ends early, no terminal to ask on. Exit status 2, like a usage error,
// but without the hint to the help: the message says what to do.
type inputError struct {
	msg string
	err error // what it wraps, if anything (errNoTerminal)
}

func (e *inputError) Error() string { return e.msg }

func (e *inputError) Unwrap() error { return e.err }

// notFoundError is get's message for a missing item. It names the item
// in full because a wrong --service, --app or --group is the usual
// cause.
type notFoundError struct {
	key, service, store string
	err                 error // wraps securestore.ErrNotFound
}

func (e *notFoundError) Error() string {
	return fmt.Sprintf("no item %q in service %q of %s", e.key, e.service, e.store)
}

func (e *notFoundError) Unwrap() error { return e.err }
