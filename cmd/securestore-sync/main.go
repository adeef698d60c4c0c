package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/secmem"
)

// progName is how messages name the program: users run it as
// "securestore sync".
const progName = "securestore sync"

func main() {
	// The group key and the device key pass through this process: keep
	// them out of core files. Best effort, as in securestore.
	_ = secmem.DisableCoreDumps()
	// SIGINT and SIGTERM end "run" (and any etcd call) through the
	// context, so the store is closed cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program minus the process: it parses args (without
// the program name), does the action and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &syncFlags{}
	o.register(fs)
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, fs)
		return exitOK
	}
	if err != nil {
		err = &usageError{msg: err.Error()}
	} else {
		err = checkArgs(positional)
	}
	if err == nil {
		err = runSync(ctx, stdout, o, positional)
	}
	return report(stderr, err)
}

// parseInterspersed parses args with fs, allowing flags between the
// positional arguments ("sync create --prefix P", as securestore allows),
// and returns the positional arguments. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// checkArgs checks the action and its number of arguments. Like
// securestore's, its messages never repeat an argument.
func checkArgs(args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "missing ACTION: " + strings.Join(actions, ", ")}
	}
	want, known := actionArgs[args[0]]
	switch {
	case !known:
		return &usageError{msg: "unknown ACTION; want " + strings.Join(actions, ", ")}
	case len(args) != 1+len(want):
		if len(want) == 0 {
			return &usageError{msg: fmt.Sprintf("%s takes no arguments", args[0])}
		}
		return &usageError{msg: fmt.Sprintf("%s takes one argument, %s", args[0], want[0])}
	}
	return nil
}

// The exit status, the same numbers as securestore's (its --help has the
// table), so that "securestore sync" keeps its contract.
const (
	exitOK      = 0
	exitUsage   = 2 // a bad command line or option (ErrInvalidOption)
	exitLocked  = 3 // the store is locked or needs a passcode
	exitFailure = 4 // anything else: etcd unreachable, a corrupt record, I/O

	exitInterrupted = 130 // stopped by SIGINT or SIGTERM
)

func exitCode(err error) int {
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage), errors.Is(err, securestore.ErrInvalidOption):
		return exitUsage
	case errors.Is(err, securestore.ErrLocked), errors.Is(err, securestore.ErrNoPasscode):
		return exitLocked
	default:
		return exitFailure
	}
}

// report prints err, if any, and returns the exit status. Messages never
// hold a value or a password: the library's errors never do, and ours
// name only flags and actions.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		// Interrupted (SIGINT, SIGTERM): the store is closed; exit as
		// shells report an interrupt.
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "%s: %s\n", progName, strings.TrimPrefix(err.Error(), "securestore: "))
	var usage *usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", progName)
	}
	return exitCode(err)
}

// usageError is a command line that does not parse: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
