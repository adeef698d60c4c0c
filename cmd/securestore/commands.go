package main

import (
	"context"
	"flag"
	"slices"
	"strings"
)

// A command is one subcommand: its help, its own flags and what it does.
// Each lives in its own file, command_NAME.go, with its testscript file
// testdata/script/NAME.txtar beside it. To add one, write that file and
// add the command to commands; dispatch does the rest (flags, argument
// count, help, errors and exit status).
type command struct {
	name    string
	args    []string // names of its positional arguments, all required, e.g. {"KEY"}
	summary string   // one line, for the top-level help
	help    string   // what it does, for its own help
	// actions, when set, are the words the first argument must be: the
	// command does one of several things (passcode set|change|remove).
	actions []string
	// extraArgsHint replaces "want only KEY" in the message for too many
	// arguments, when there is more helpful advice.
	extraArgsHint string
	// moreArgs lets any number of arguments follow args (run's CMD [ARG...]).
	moreArgs bool
	// setup defines the command's own flags on fs (the global flags are
	// there already) and returns the function that runs the command with
	// their values. --passcode-fd and --passphrase-fd go into inv.secrets,
	// where unlocking and the secret prompts read them. The help calls
	// setup only to list the flags.
	setup func(fs *flag.FlagSet, inv *invocation) runFunc
	// external, when set, runs the command with its arguments as given,
	// unparsed (global flags included), except for a lone --help: the
	// command is another program with flags of its own (sync).
	external runFunc
}

// A runFunc does a command's work. args are the positional arguments,
// already counted. Errors go to report (exit.go), which prints them and
// picks the exit status.
type runFunc func(ctx context.Context, inv *invocation, args []string) error

// noFlags is the setup of a command that has only the global flags.
func noFlags(run runFunc) func(*flag.FlagSet, *invocation) runFunc {
	return func(*flag.FlagSet, *invocation) runFunc { return run }
}

// commands in the order of the top-level help.
var commands = []*command{
	setCommand,
	getCommand,
	deleteCommand,
	hasCommand,
	listCommand,
	passcodeCommand,
	unlockCommand,
	lockCommand,
	statusCommand,
	agentCommand,
	exportCommand,
	importCommand,
	doctorCommand,
	repairCommand,
	migrateCommand,
	importGitCredentialsCommand,
	importDockerConfigCommand,
	runCommand,
	importKeyringCommand,
	importPassCommand,
	syncCommand,
	versionCommand,
	completionCommand,
	manCommand,
}

// lookupCommand returns the command called name, or nil.
func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageLine is the command's synopsis, e.g. "securestore get [flags] KEY".
func (c *command) usageLine() string {
	return strings.Join(append([]string{"securestore", c.name, "[flags]"}, c.argNames()...), " ")
}

// argNames are the names of the positional arguments for the help: the
// actions ("set|change|remove") stand for the first.
func (c *command) argNames() []string {
	if c.moreArgs {
		return append(slices.Clone(c.args), "[ARG...]")
	}
	if len(c.actions) == 0 {
		return c.args
	}
	return append([]string{strings.Join(c.actions, "|")}, c.args[1:]...)
}

// checkArgs checks the number of positional arguments. Its messages never
// repeat an argument: an extra one may be a secret typed where it does not
// belong ("securestore set token s3cret").
func (c *command) checkArgs(args []string) error {
	var msg string
	switch {
	case len(args) == 0 && len(c.actions) > 0:
		msg = "missing " + c.args[0] + ": " + strings.Join(c.actions, ", ")
	case len(c.actions) > 0 && !slices.Contains(c.actions, args[0]):
		msg = "unknown " + c.args[0] + "; want " + strings.Join(c.actions, ", ")
	case len(args) < len(c.args):
		msg = "missing " + c.args[len(args)]
	case c.moreArgs:
		return nil
	case len(args) > len(c.args) && len(c.args) == 0:
		msg = "takes no arguments"
	case len(args) > len(c.args) && c.extraArgsHint != "":
		msg = "too many arguments; " + c.extraArgsHint
	case len(args) > len(c.args):
		msg = "too many arguments; want only " + strings.Join(c.args, " ")
	default:
		return nil
	}
	return &usageError{command: c.name, msg: msg}
}
