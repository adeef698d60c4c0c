package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// The help texts. Flags document themselves through their usage strings
// (flags.go and each command's setup), so that a new flag shows up
// here without editing this file.

const (
	intro = `securestore keeps small secrets (tokens, API keys, passwords) encrypted
on this device, in a separate store for each app.`

	rules = `Keys, services, apps and groups are one or more of A-Z a-z 0-9 . _ -
A KEY is at most 1024 bytes. A value is at most 2048 bytes (set
--max-value-bytes raises it). An item is found only with the app (or
group), service and key it was set with.`

	exitStatus = `Exit status:
  0  success
  1  get, has: no item under KEY; get, list, export: the app has no store
     (they create none); migrate: the app has no store yet
  2  bad usage or input: unknown command or flag, missing or extra argument,
     invalid name, unknown accessibility class or protector, value too large,
     an import file with entries that are not credentials, a passcode or
     passphrase that is empty, mistyped or cannot be asked for, an export
     FILE that exists (without --force)
  3  the item is locked or needs a passcode (no terminal or --passcode-fd
     to unlock with, or no passcode is set)
  4  any other failure: permissions, corrupt data, a damaged export, I/O,
     an unavailable protector; doctor: it found a problem
  5  wrong passcode, or wrong passphrase for an export`
)

// printUsage prints the top-level help.
func printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: securestore [flags] COMMAND [flags] [ARGUMENTS]\n\n%s\n\nCommands:\n", intro)
	// The summaries start in one column, two spaces after the longest
	// synopsis.
	synopses := []string{}
	width := len("help [COMMAND]")
	for _, c := range commands {
		synopses = append(synopses, strings.Join(append([]string{c.name}, c.argNames()...), " "))
		width = max(width, len(synopses[len(synopses)-1]))
	}
	for i, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, synopses[i], c.summary)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "help [COMMAND]", "show the help of COMMAND")
	fmt.Fprintf(w, "\nFlags, before or after the command (\"--\" ends them):\n")
	printFlags(w, globalFlagSet())
	fmt.Fprintf(w, "  -h, --help\n        show help; \"securestore COMMAND --help\" for a command\n")
	fmt.Fprintf(w, "\nEnvironment: SECURESTORE_APP, SECURESTORE_DIR and SECURESTORE_PROTECTOR\nstand in for absent --app, --dir and --protector flags.\n")
	fmt.Fprintf(w, "\n%s\n\n%s\n", rules, exitStatus)
}

// printCommandHelp prints the help of one command.
func printCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.usageLine(), c.help)
	own := newFlagSet(c.name)
	c.setup(own, &invocation{})
	if hasFlags(own) {
		fmt.Fprintf(w, "\nFlags:\n")
		printFlags(w, own)
	}
	fmt.Fprintf(w, "\nGlobal flags:\n")
	printFlags(w, globalFlagSet())
	fmt.Fprintf(w, "\nRun 'securestore --help' for the rules and the exit status.\n")
}

// hasFlags reports whether any flag is defined on fs.
func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// globalFlagSet is a FlagSet of the global flags alone, for the help.
func globalFlagSet() *flag.FlagSet {
	fs := newFlagSet("securestore")
	new(globalFlags).register(fs)
	return fs
}

// printFlags prints the flags of fs, sorted, in the layout of
// flag.PrintDefaults but with the "--name" spelling for long names.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		dashes := "--"
		if len(f.Name) == 1 {
			dashes = "-"
		}
		if full, ok := fullUsage[f.Name]; ok {
			g := *f
			g.Usage = full()
			f = &g
		}
		arg, usage := flag.UnquoteUsage(f)
		if arg != "" {
			arg = " " + arg
		}
		usage = strings.ReplaceAll(usage, "\n", "\n        ")
		fmt.Fprintf(w, "  %s%s%s\n        %s\n", dashes, f.Name, arg, usage)
	})
}
