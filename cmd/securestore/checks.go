package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sync"

	"github.com/securestore-go/securestore"
)

// This file checks a parsed command line before the command runs, so that
// a mistake is a usage error (exit status 2) that changes nothing, rather
// than a default taken silently or an error from deep in the library.

// maxKeyBytes bounds a KEY on the command line. The library has no limit;
// the CLI's is generous for a name (a URL-derived key is well under it)
// and stops a value pasted where a key belongs.
const maxKeyBytes = 1024

// maxNameBytes bounds --app and --group: the store's file is named after
// them ("app.NAME.db-wal"), and file systems refuse names over 255 bytes.
const maxNameBytes = 200

// nameFlags are the global flags that name something; an empty one would
// silently mean the default ("--app "$UNSET""), so it is refused.
var nameFlags = []string{"app", "service", "group", "dir"}

// checkCommandLine refuses what parses but cannot be meant.
func checkCommandLine(fs *flag.FlagSet, cmd *command, inv *invocation, positional []string) error {
	fail := func(format string, a ...any) error {
		return &usageError{command: cmd.name, msg: fmt.Sprintf(format, a...)}
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && f.Value.String() == "" && contains(nameFlags, f.Name) {
			err = fail("--%s is empty; leave it out to use the default", f.Name)
		}
	})
	if err != nil {
		return err
	}
	for _, n := range []struct{ flag, value string }{{"app", inv.app()}, {"group", inv.global.group}} {
		if len(n.value) > maxNameBytes {
			return fail("--%s is %d bytes long; the limit is %d", n.flag, len(n.value), maxNameBytes)
		}
	}
	for i, name := range cmd.args {
		if name == "KEY" && i < len(positional) && len(positional[i]) > maxKeyBytes {
			// Never repeat it: it may be a value typed in the wrong place.
			return fail("KEY is %d bytes long; the limit is %d", len(positional[i]), maxKeyBytes)
		}
	}
	if inv.global.accessible.name != "" && cmd.name != "set" {
		return fail("--accessible is an attribute of set: it says when a new item may be read; %s acts on items of every class", cmd.name)
	}
	pc, pp := inv.secrets.passcodeFD, inv.secrets.passphraseFD
	if pc.set && pp.set && pc.fd == pp.fd {
		return fail("--passcode-fd and --passphrase-fd are both %d; give each secret its own file descriptor", pc.fd)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// flagSpelling matches a flag as the flag package spells it in its
// errors ("-accessible"), to respell it as the help does ("--accessible").
// Compiled on first use: only a command line with a mistake needs it, and
// a regexp compiled at initialisation would slow every command.
var flagSpelling = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(^|[\s:])-([a-zA-Z][a-zA-Z-])`)
})

// flagError rewrites an error of the flag package with "--" flags.
func flagError(err error) string {
	return flagSpelling().ReplaceAllString(err.Error(), "$1--$2") // one-letter flags (-n) keep one dash
}

// checkDataDir refuses, before anything is opened, a command line that
// leaves no directory for the stores: no --dir, no $SECURESTORE_DIR and no
// per-user data directory (no $HOME, as under some service managers).
func (inv *invocation) checkDataDir() error {
	if inv.global.dir != "" || os.Getenv(securestore.EnvDir) != "" {
		return nil
	}
	if _, err := securestore.DefaultDir(); err != nil {
		return &inputError{msg: "no per-user data directory is known here ($HOME is not set); " +
			"name the store directory with --dir DIR or $" + securestore.EnvDir}
	}
	return nil
}

// errNoStoreHint is added to the library's ErrNoStore by the read-only
// commands, which create nothing.
type noStoreError struct {
	inv *invocation
	err error // wraps securestore.ErrNoStore
}

func (e *noStoreError) Error() string {
	return fmt.Sprintf("%s has no store in %s (check --app, --group and --dir; 'securestore set' creates one)", e.inv.storeName(), e.inv.storeDir())
}

// storeDir is the store directory the command uses: --dir, else
// $SECURESTORE_DIR, else the default ("" when there is none).
func (inv *invocation) storeDir() string {
	dir := inv.global.dir
	if dir == "" {
		dir = os.Getenv(securestore.EnvDir)
	}
	if dir == "" {
		dir, _ = securestore.DefaultDir()
	}
	return dir
}

func (e *noStoreError) Unwrap() error { return e.err }

// asNoStore turns ErrNoStore into noStoreError, and leaves other errors.
func (inv *invocation) asNoStore(err error) error {
	if errors.Is(err, securestore.ErrNoStore) {
		return &noStoreError{inv: inv, err: err}
	}
	return err
}
