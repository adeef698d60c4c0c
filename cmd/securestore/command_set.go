package main

import (
	"strings"

	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/securestore-go/securestore/cmd/internal/credential"

	"github.com/securestore-go/securestore"
)

// setCommand is "securestore set"; its tests are in testdata/script/set.txtar.
var setCommand = &command{
	name:          "set",
	args:          []string{"KEY"},
	extraArgsHint: "set reads the value from standard input, never from the command line",
	summary:       "store the value read from standard input under KEY",
	help: `Store the value read from standard input under KEY, replacing any
item with the same key and service. One trailing newline ("\n" or
"\r\n") is removed, so "echo secret | securestore set KEY" stores
"secret". When standard input is a terminal, set asks for the value
and does not echo it. The value is never taken from the command line,
where other users could see it in the process list.

The value is at most 2048 bytes (Expo's SecureStore limit), or what
--max-value-bytes or $SECURESTORE_MAX_VALUE_BYTES says (up to 16 MiB); a
longer one fails with exit status 2 and leaves the stored item as it was.

When the app has a passcode and the item's class needs it (--accessible;
the default, when-unlocked, does), set asks for the passcode at the
terminal, or reads it from --passcode-fd, which cannot be 0 here: standard
input carries the value. See "securestore passcode --help".

With --synchronizable the item follows the store's sync group to every
device of the group (like Apple's kSecAttrSynchronizable; see
"securestore sync --help"): it is sealed under the group key before it
leaves this device. A this-device-only class (--accessible ...-this-
device-only) never leaves the device, so it cannot be synchronizable
(exit status 2). Setting the item again without --synchronizable takes
it out of the group and keeps it here only.

With --require-authentication (Expo's requireAuthentication) the item can
be read only after you prove presence by typing the passcode at the
agent's pinentry prompt, which shows --authentication-prompt. It needs a
passcode and a running agent ("securestore unlock" starts one); without
them set fails with exit status 3. Such an item stays on this device: it
cannot be --synchronizable (exit status 2).`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		definePasscodeFD(fs, &inv.secrets)
		fs.StringVar(&inv.maxValueFlag, "max-value-bytes", "",
			"store values up to `N` bytes (default $"+credential.EnvMaxValueBytes+", else 2048)")
		var f setFlags
		fs.BoolVar(&f.synchronizable, "synchronizable", false,
			"sync the item to the other devices of the store's sync group (securestore sync)")
		fs.BoolVar(&f.requireAuthentication, "require-authentication", false,
			"read the item only after the passcode is typed at the agent's prompt")
		fs.StringVar(&f.authenticationPrompt, "authentication-prompt", "",
			"the `TEXT` the agent's prompt shows (with --require-authentication)")
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runSet(ctx, inv, args, f)
		}
	},
}

// setFlags are the flags of set that become the item's Options.
type setFlags struct {
	synchronizable        bool
	requireAuthentication bool
	authenticationPrompt  string
}

func runSet(ctx context.Context, inv *invocation, args []string, f setFlags) error {
	synchronizable := f.synchronizable
	if f.requireAuthentication && synchronizable {
		return fmt.Errorf("%w: --require-authentication with --synchronizable: such an item never leaves this device",
			securestore.ErrInvalidOption)
	}
	if f.authenticationPrompt != "" && !f.requireAuthentication {
		return &usageError{command: "set", msg: "--authentication-prompt goes with --require-authentication"}
	}
	if synchronizable && inv.global.accessible.class.ThisDeviceOnly() {
		// The library would say the same, but only after the value was
		// read: say it before anyone types one.
		return fmt.Errorf("%w: --synchronizable with --accessible %s: a this-device-only item never leaves this device",
			securestore.ErrInvalidOption, inv.global.accessible.name)
	}
	if err := inv.checkStdinFree("set", "the value"); err != nil {
		return err
	}
	key, opts := args[0], inv.options()
	opts.Synchronizable = synchronizable
	opts.RequireAuthentication, opts.AuthenticationPrompt = f.requireAuthentication, f.authenticationPrompt
	limit, err := credential.MaxValueBytes(inv.maxValueFlag, securestore.DefaultMaxValueBytes)
	if err != nil {
		return &usageError{command: "set", msg: strings.TrimPrefix(err.Error(), securestore.ErrInvalidOption.Error()+": ")}
	}
	inv.maxValue = limit
	return inv.withStore(ctx, func(s *securestore.Store) error {
		var value string
		var err error
		if fd, ok := terminal(inv.stdin); ok {
			// Check the key, service and group before asking, so that
			// nobody types a secret only to learn that a name was bad.
			if _, err := s.HasItem(ctx, key, opts); err != nil {
				return err
			}
			value, err = promptValue(fd, inv.stderr, key, limit)
		} else {
			value, err = readValue(inv.stdin, limit)
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
