package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/securestore-go/securestore"
)

// Flags may come before or after the command and its arguments
// ("securestore --app x get k", "securestore get k --app x",
// "securestore get --app=x k"), and "--" ends them. The standard flag
// package stops at the first argument that is not a flag, so the command
// line is parsed in two steps:
//
//  1. splitCommand parses the global flags only to find where the command
//     name is, and removes it;
//  2. parseInterspersed parses what is left with the command's full FlagSet
//     (global flags plus its own), re-parsing after each positional
//     argument until none is left.
//
// Step 1 exists to find the name; step 2 parses the flags before the name
// again, with the FlagSet whose values the command reads.

// globalFlags are the flags that every command accepts.
type globalFlags struct {
	app        string
	dir        string
	service    string
	group      string
	accessible accessibilityFlag
	protector  string
}

// register defines the global flags on fs. A `NAME` in backquotes is the
// argument's name in the help (see flag.UnquoteUsage).
func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.app, "app", "",
		"use the store of app `NAME` (default $SECURESTORE_APP, else \""+defaultApp+"\")")
	fs.StringVar(&g.dir, "dir", "",
		"keep the stores in `DIR` (default $SECURESTORE_DIR, else the per-user data directory)")
	fs.StringVar(&g.service, "service", "",
		"act on the items of service `NAME` (default \""+securestore.DefaultService+"\")")
	fs.StringVar(&g.group, "group", "",
		"use the shared access group `NAME` instead of the app's own store")
	// The help of --accessible, a table of the classes, is built only
	// when printed (printFlags): every command registers the global flags,
	// and building it was 1% of a get.
	fs.Var(&g.accessible, "accessible", accessibleUsageShort)
	fs.StringVar(&g.protector, "protector", "",
		"protect a new store's device key with `NAME`: \"auto\" or one that doctor lists (default $SECURESTORE_PROTECTOR, else \"auto\")")
}

// accessibleClasses are the classes that --accessible takes, in the order
// of its help, each with whether it needs the passcode once the app has
// one. Their names (Accessibility.Kebab) and whether an export carries
// them to another device (ThisDeviceOnly) are the library's.
var accessibleClasses = []struct {
	class    securestore.Accessibility
	passcode string
}{
	{securestore.WhenUnlocked, "passcode"},
	{securestore.AfterFirstUnlock, "passcode"},
	{securestore.Always, "no passcode"},
	{securestore.WhenUnlockedThisDeviceOnly, "passcode"},
	{securestore.WhenPasscodeSetThisDeviceOnly, "passcode, which must be set"},
	{securestore.AfterFirstUnlockThisDeviceOnly, "passcode"},
	{securestore.AlwaysThisDeviceOnly, "no passcode"},
}

// accessibleNote is the help's note on accessibleClasses[i]: whether it needs the
// passcode, and whether it stays on this device.
func accessibleNote(i int) string {
	c := accessibleClasses[i]
	if c.class.ThisDeviceOnly() {
		return c.passcode + "; this device only"
	}
	return c.passcode
}

// accessibleNames are the classes in the CLI's spelling, in the order of
// the help.
func accessibleNames() []string {
	var names []string
	for _, c := range accessibleClasses {
		names = append(names, c.class.Kebab())
	}
	return names
}

// accessibleUsageShort is the usage --accessible is registered with;
// printFlags shows accessibleUsage in its place.
const accessibleUsageShort = "set: when the item may be read: `CLASS`"

// fullUsage are the flags whose help printFlags builds when it prints
// them, instead of the usage they are registered with.
var fullUsage = map[string]func() string{"accessible": accessibleUsage}

// accessibleUsage is the help of --accessible: the seven classes, and
// which of them need the passcode. The CLI unlocks for one command at a
// time, so after-first-unlock behaves as when-unlocked there: both ask.
func accessibleUsage() string {
	var b strings.Builder
	b.WriteString("set: when the item may be read; `CLASS` is one of (default " + securestore.WhenUnlocked.Kebab() + "):")
	for i, name := range accessibleNames() {
		fmt.Fprintf(&b, "\n  %-36s %s", name, accessibleNote(i))
	}
	b.WriteString("\n\"passcode\": once the app has a passcode, reading or setting the item asks for it.\n" +
		"\"this device only\": an import on another device skips the item. Removing the\n" +
		"passcode deletes the when-passcode-set-this-device-only items.")
	return b.String()
}

// accessibilityFlag is --accessible. It parses the class when the flag is
// set, so that an unknown class is a usage error like any bad flag.
type accessibilityFlag struct {
	name  string
	class securestore.Accessibility
}

func (f *accessibilityFlag) String() string {
	if f == nil {
		return ""
	}
	return f.name
}

func (f *accessibilityFlag) Set(name string) error {
	class, err := securestore.ParseAccessibility(name)
	if err != nil {
		// The library's message lists the Go names; say the CLI's.
		return fmt.Errorf("want one of %s", strings.Join(accessibleNames(), ", "))
	}
	f.name, f.class = name, class
	return nil
}

// newFlagSet returns an empty FlagSet that reports errors to its caller
// and prints nothing itself: the help texts are in help.go.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// splitCommand finds the command name in args, skipping the global flags
// before it, and returns it with the other arguments in their order. The
// name is "" when args hold no command. flag.ErrHelp means -h or --help
// came before any command.
func splitCommand(args []string) (name string, rest []string, err error) {
	fs := newFlagSet("securestore")
	var ignored globalFlags
	ignored.register(fs)
	if err := fs.Parse(args); err != nil {
		return "", nil, err
	}
	after := fs.Args()
	if len(after) == 0 {
		return "", nil, nil
	}
	before := args[:len(args)-len(after)]
	rest = append(append([]string{}, before...), after[1:]...)
	return after[0], rest, nil
}

// parseInterspersed parses args with fs, allowing flags between the
// positional arguments, and returns the positional arguments. Everything
// after a "--" that ends the flags is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) (positional []string, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if endsWithTerminator(fs, args[:len(args)-len(rest)]) {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// endsWithTerminator reports whether the flags that fs.Parse consumed end
// with a "--" that ended the flags, rather than with a "--" that was the
// value of a flag ("--app --"). It walks them as flag.Parse did.
func endsWithTerminator(fs *flag.FlagSet, consumed []string) bool {
	for i := 0; i < len(consumed); i++ {
		if consumed[i] == "--" {
			return true
		}
		if takesNextArg(fs, consumed[i]) {
			i++
		}
	}
	return false
}

// takesNextArg reports whether flag.Parse took the argument after arg as
// arg's value: arg is a defined non-boolean flag written without "=".
func takesNextArg(fs *flag.FlagSet, arg string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return false
	}
	return true
}

// fdFlag is a flag that names a file descriptor to read secrets from
// (--passcode-fd, --passphrase-fd): a number, 0 or more. On Windows it is
// a handle.
type fdFlag struct {
	fd  int
	set bool
}

func (f *fdFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.Itoa(f.fd)
}

func (f *fdFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("want a file descriptor number, 0 or more")
	}
	f.fd, f.set = n, true
	return nil
}

// definePasscodeFD defines --passcode-fd on fs, for the commands that may
// need the passcode.
func definePasscodeFD(fs *flag.FlagSet, secrets *secretReader) {
	fs.Var(&secrets.passcodeFD, "passcode-fd",
		"read the passcode from file descriptor `N`, one per line in the order the command asks,\n"+
			"then the end of the input, instead of asking at the terminal (for scripts; never give\n"+
			"it on the command line)")
}

// definePassphraseFD defines --passphrase-fd on fs, for export and import.
func definePassphraseFD(fs *flag.FlagSet, secrets *secretReader) {
	fs.Var(&secrets.passphraseFD, "passphrase-fd",
		"read the export's passphrase from file descriptor `N` (one line, then the end of the input)\n"+
			"instead of asking at the terminal; it must not be the same as --passcode-fd")
}
