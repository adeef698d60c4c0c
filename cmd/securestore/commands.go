package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/securestore-go/securestore"
)

// A command is one subcommand: its help and what it does. To add one,
// write its run function and add it to commands; dispatch does the rest
// (flags, argument count, help, errors and exit status).
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
	// flags defines the command's own flags on fs, storing into inv. Nil
	// when the command has only the global flags.
	flags func(fs *flag.FlagSet, inv *invocation)
	// run does the work. args are the positional arguments, already
	// counted. Errors go to report (exit.go), which prints them and
	// picks the exit status.
	run func(ctx context.Context, inv *invocation, args []string) error
}

// commands in the order of the top-level help.
var commands = []*command{
	{
		name:    "set",
		args:    []string{"KEY"},
		summary: "store the value read from standard input under KEY",
		help: `Store the value read from standard input under KEY, replacing any
item with the same key and service. One trailing newline ("\n" or
"\r\n") is removed, so "echo secret | securestore set KEY" stores
"secret". When standard input is a terminal, set asks for the value
and does not echo it. The value is never taken from the command line,
where other users could see it in the process list.

The value is at most 2048 bytes; a longer one fails with exit status 2
and leaves the stored item as it was.

When the app has a passcode and the item's class needs it (--accessible;
the default, when-unlocked, does), set asks for the passcode at the
terminal, or reads it from --passcode-fd, which cannot be 0 here: standard
input carries the value. See "securestore passcode --help".`,
		extraArgsHint: "set reads the value from standard input, never from the command line",
		flags:         definePasscodeFD,
		run:           runSet,
	},
	{
		name:    "get",
		args:    []string{"KEY"},
		summary: "print the value stored under KEY",
		help: `Print the value stored under KEY, followed by a newline (the one that
set removed). With -n, print the value exactly.

Exit status 1, with a message on standard error, when there is no item
under KEY in this service and store.

When the app has a passcode and the item's class needs it, get asks for
the passcode at the terminal, or reads it from --passcode-fd; without
either it fails with exit status 3, and a wrong passcode exits with 5.
See "securestore passcode --help".`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.BoolVar(&inv.noNewline, "n", false, "the same as --no-newline")
			fs.BoolVar(&inv.noNewline, "no-newline", false, "print the value without a newline after it")
			definePasscodeFD(fs, inv)
		},
		run: runGet,
	},
	{
		name:    "delete",
		args:    []string{"KEY"},
		summary: "delete the item stored under KEY",
		help: `Delete the item stored under KEY. Deleting an item that does not exist
succeeds.`,
		run: runDelete,
	},
	{
		name:    "has",
		args:    []string{"KEY"},
		summary: "exit 0 if an item is stored under KEY, 1 if not",
		help: `Exit with status 0 when an item is stored under KEY, 1 when there is
none. has prints nothing, never reads the value, and works for items
of every accessibility class, locked or not:

    if securestore has token; then ...`,
		run: runHas,
	},
	{
		name:    "list",
		summary: "print the keys of the service, sorted, one per line",
		help: `Print the keys of the items in the service (--service, default "app"),
sorted, one per line. Values are not printed.`,
		run: runList,
	},
	{
		name:    "passcode",
		args:    []string{"ACTION"},
		actions: passcodeActions,
		summary: "set, change or remove the app's passcode",
		help: `Set, change or remove the passcode of the app's store. Once it has one,
the items of every class but always and always-this-device-only need it
(see --accessible): a command that reads or sets such an item asks for
the passcode, unlocks the store for that one command, and locks it again.

  set     asks for the new passcode, twice; the store must have none
  change  asks for the current passcode, then for the new one, twice
  remove  asks for the current passcode, and deletes every
          when-passcode-set-this-device-only item (with no passcode,
          remove does nothing)

Passcodes are typed at the terminal, without echo. A script gives them on
a file descriptor instead, one per line in the order above, without the
repetition:

    securestore passcode change --passcode-fd 3 3<passcodes

A passcode is never taken from the command line or the environment. A new
passcode cannot be empty. A wrong passcode exits with status 5; after
three wrong ones in a row, each further try first waits 1 s, then 2 s,
4 s, ... up to 15 minutes, and the message says how long. Access groups
(--group) have no passcode.`,
		flags: definePasscodeFD,
		run:   runPasscode,
	},
	{
		name:    "export",
		args:    []string{"FILE"},
		summary: "write every item to FILE, encrypted with a passphrase",
		help: `Write every item of the app's store, and of --group's if given, to FILE
("-" for standard output), encrypted with a passphrase (age format,
scrypt). The passphrase is asked twice at the terminal, or read from
--passphrase-fd (one line). It cannot be empty.

FILE is created with mode 0600 and must not exist, unless --force, which
replaces it once the new export is complete. A failed export leaves no
partial file.

Items of the this-device-only classes are carried sealed for this device:
an import on another device skips them. When the app has a passcode, the
store is unlocked first (see "securestore passcode --help"). On a
terminal, a long export shows its progress on standard error.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			definePasscodeFD(fs, inv)
			definePassphraseFD(fs, inv)
			fs.BoolVar(&inv.force, "force", false, "replace FILE if it exists")
		},
		run: runExport,
	},
	{
		name:    "import",
		args:    []string{"FILE"},
		summary: "restore the items of an export from FILE",
		help: `Restore the items of an export that "securestore export" wrote to FILE
("-" for standard input), replacing items with the same store, service
and key. The passphrase is asked at the terminal, or read from
--passphrase-fd (one line).

Items of the this-device-only classes restore only onto the device they
were exported from, and when-passcode-set-this-device-only items only
where a passcode is set; the others are skipped. Items of an access group
go back to that group, which must be given with --group. When done,
import says on standard error how many items it restored and skipped.

An import is all or nothing: a wrong passphrase (exit status 5) or a
damaged or truncated file (exit status 4) changes nothing. When the app
has a passcode, the store is unlocked first (see "securestore passcode
--help"). On a terminal, a long import shows its progress on standard
error.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			definePasscodeFD(fs, inv)
			definePassphraseFD(fs, inv)
		},
		run: runImport,
	},
	{
		name:    "doctor",
		summary: "show how the store is protected, where its files are, and any problem",
		help: `Show how the store is protected and what that protection defends
against: the platform, the protector that holds the device key and why
each other protector was or was not chosen, whether the key unwraps,
the store's files and their modes, how many items each accessibility
class holds (never their names or values), and the lock state.

It creates nothing: for an app without a store it says what a new one
would use. Exit status 4 when it found a problem (a key that does not
unwrap, a file others can read, a --protector the store does not have),
listed on lines starting with PROBLEM.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.BoolVar(&inv.json, "json", false, "print the report as JSON, for scripts")
		},
		run: runDoctor,
	},
	{
		name:    "migrate",
		summary: "move the store's device key to another protector (--to NAME)",
		help: `Move the device key of the app's store (and, with --group, of that
access group's store) under the protector NAME, e.g. from the key file
to the platform's key store after installing one. Items are not
touched: the same key is wrapped anew. A crash or Ctrl-C at any point
loses nothing: the store switches protectors in one transaction, after
the new protector has been checked to give the key back. Then the old
protector's own key material, if it keeps any, is removed.

Run "securestore doctor" to see which protectors are available here.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&inv.migrateTo, "to", "", "the protector `NAME` to move the key to (required)")
		},
		run: runMigrate,
	},
	{
		name:    "import-git-credentials",
		args:    []string{"FILE"},
		summary: "move git's plain-text credentials (~/.git-credentials) in",
		help: `Move the credentials of FILE, a ~/.git-credentials file of git
credential-store (lines https://user:password@host[:port][/path],
percent-encoded), into the store of git-credential-securestore: app
"git-credential" (or --app, as in the helper string "securestore --app
NAME"), service "git". Then tell git to use it:

    git config --global credential.helper securestore

Every line must be a credential. A line that is not is reported by its
number (never its content), and then nothing is imported and FILE is left
as it was (exit status 2). Otherwise every credential is stored and read
back, and only then is FILE removed (with --keep, left in place). A
credential replaces a stored one with the same protocol, host, path and
user; of two such lines, the first is the one git used and the one
imported.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.BoolVar(&inv.keepFile, "keep", false, "import, but leave FILE in place")
		},
		run: runImportGitCredentials,
	},
	{
		name:    "import-docker-config",
		args:    []string{"FILE"},
		summary: "move docker's plain-text credentials (~/.docker/config.json) in",
		help: `Move the credentials in the "auths" of FILE, a ~/.docker/config.json,
into the store of docker-credential-securestore (app "docker-credential",
service "docker"), and set "credsStore": "securestore" in FILE so that
docker uses the helper from then on.

Every entry with a credential must be one the helper can hold. One that
is not (bad base64, a registrytoken, two spellings of one registry) is
reported by its server URL, and then nothing is imported and FILE is left
as it was (exit status 2). Otherwise every credential is stored and read
back, and only then is FILE rewritten, atomically, without them; its
other settings stay. With --keep, FILE is left as it was.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.BoolVar(&inv.keepFile, "keep", false, "import, but leave FILE as it was")
		},
		run: runImportDockerConfig,
	},
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

func runSet(ctx context.Context, inv *invocation, args []string) error {
	if err := inv.checkStdinFree("set", "the value"); err != nil {
		return err
	}
	key, opts := args[0], inv.options()
	return inv.withStore(ctx, func(s *securestore.Store) error {
		var value string
		var err error
		if fd, ok := terminal(inv.stdin); ok {
			// Check the key, service and group before asking, so that
			// nobody types a secret only to learn that a name was bad.
			if _, err := s.HasItem(ctx, key, opts); err != nil {
				return err
			}
			value, err = promptValue(fd, inv.stderr, key, securestore.DefaultMaxValueBytes)
		} else {
			value, err = readValue(inv.stdin, securestore.DefaultMaxValueBytes)
		}
		if err != nil {
			return err
		}
		err = inv.retryUnlocked(ctx, s, func() error { return s.SetItem(ctx, key, value, opts) })
		if errors.Is(err, securestore.ErrNoPasscode) {
			return fmt.Errorf("%w; set one with 'securestore passcode set'", err)
		}
		return err
	})
}

func runGet(ctx context.Context, inv *invocation, args []string) error {
	key := args[0]
	return inv.withStore(ctx, func(s *securestore.Store) error {
		var value string
		err := inv.retryUnlocked(ctx, s, func() (err error) {
			value, err = s.GetItem(ctx, key, inv.options())
			return err
		})
		if errors.Is(err, securestore.ErrNotFound) {
			return &notFoundError{key: key, service: inv.service(), store: inv.storeName(), err: err}
		}
		if err != nil {
			return err
		}
		if _, err := io.WriteString(inv.stdout, value); err != nil {
			return err
		}
		if !inv.noNewline {
			_, err = io.WriteString(inv.stdout, "\n")
		}
		return err
	})
}

func runDelete(ctx context.Context, inv *invocation, args []string) error {
	key := args[0]
	return inv.withStore(ctx, func(s *securestore.Store) error {
		return s.DeleteItem(ctx, key, inv.options())
	})
}

func runHas(ctx context.Context, inv *invocation, args []string) error {
	key := args[0]
	return inv.withStore(ctx, func(s *securestore.Store) error {
		ok, err := s.HasItem(ctx, key, inv.options())
		if err == nil && !ok {
			err = errAbsent
		}
		return err
	})
}

func runList(ctx context.Context, inv *invocation, _ []string) error {
	return inv.withStore(ctx, func(s *securestore.Store) error {
		keys, err := s.Keys(ctx, inv.options())
		if err != nil || len(keys) == 0 {
			return err
		}
		_, err = io.WriteString(inv.stdout, strings.Join(keys, "\n")+"\n")
		return err
	})
}
