package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/securestore-go/securestore/internal/secmem"
)

func main() {
	// Keys pass through this process: keep them out of core files (and,
	// on Linux, away from same-user ptrace). Best effort: lowering a limit
	// does not fail in practice, and the program works without it.
	_ = secmem.DisableCoreDumps()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program minus the process: it takes the arguments
// (without the program name) and the standard streams, and returns the
// exit status (see exit.go). Tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	inv := &invocation{stdin: stdin, stdout: stdout, stderr: stderr}
	err := dispatch(context.Background(), inv, args)
	inv.secrets.close()
	return report(stderr, err)
}

// dispatch finds the command in args, parses its flags and arguments, and
// runs it.
func dispatch(ctx context.Context, inv *invocation, args []string) error {
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		args = []string{"version"}
	}
	name, cmdArgs, err := splitCommand(args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(inv.stdout)
		return nil
	}
	if err != nil {
		return &usageError{msg: flagError(err)}
	}
	if name == "" {
		// A bare "securestore": the usage, on stderr as the error it is.
		printUsage(inv.stderr)
		return errBareCommand
	}
	if name == "help" {
		return runHelp(inv, cmdArgs)
	}
	cmd := lookupCommand(name)
	if cmd == nil {
		return &usageError{msg: fmt.Sprintf("unknown command %q", name)}
	}
	if cmd.external != nil && !isHelpFlag(cmdArgs) {
		return cmd.external(ctx, inv, cmdArgs)
	}

	fs := newFlagSet(cmd.name)
	inv.global.register(fs)
	run := cmd.setup(fs, inv)
	positional, err := parseInterspersed(fs, cmdArgs)
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(inv.stdout, cmd)
		return nil
	}
	if err != nil {
		return &usageError{command: cmd.name, msg: flagError(err)}
	}
	if err := cmd.checkArgs(positional); err != nil {
		return err
	}
	if err := checkCommandLine(fs, cmd, inv, positional); err != nil {
		return err
	}
	if err := inv.claimFDs(); err != nil {
		return err
	}
	return run(ctx, inv, positional)
}

// isHelpFlag reports whether args are a lone request for help, which
// an external command answers with its help here.
func isHelpFlag(args []string) bool {
	return len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help")
}

// runHelp is "securestore help [COMMAND]": the same text as --help.
func runHelp(inv *invocation, args []string) error {
	fs := newFlagSet("help")
	positional, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp) || err == nil && len(positional) == 0:
		printUsage(inv.stdout)
		return nil
	case err != nil:
		return &usageError{msg: err.Error()}
	case len(positional) > 1:
		return &usageError{msg: "help takes at most one COMMAND"}
	}
	if positional[0] == "help" {
		printHelpHelp(inv.stdout)
		return nil
	}
	cmd := lookupCommand(positional[0])
	if cmd == nil {
		return &usageError{msg: fmt.Sprintf("unknown command %q", positional[0])}
	}
	printCommandHelp(inv.stdout, cmd)
	return nil
}

// printHelpHelp is "securestore help help".
func printHelpHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: securestore help [COMMAND]\n\n"+
		"Show the help of COMMAND, the same as \"securestore COMMAND --help\";\n"+
		"without COMMAND, the list of commands, the global flags, the rules and\n"+
		"the exit status, the same as \"securestore --help\".\n")
}
