package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/securestore-go/securestore"
)

// getCommand is "securestore get"; its tests are in testdata/script/get.txtar.
var getCommand = &command{
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
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var noNewline bool
		fs.BoolVar(&noNewline, "n", false, "the same as --no-newline")
		fs.BoolVar(&noNewline, "no-newline", false, "print the value without a newline after it")
		definePasscodeFD(fs, &inv.secrets)
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runGet(ctx, inv, args[0], noNewline)
		}
	},
}

func runGet(ctx context.Context, inv *invocation, key string, noNewline bool) error {
	return inv.withExistingStore(ctx, func(s *securestore.Store) error {
		// The value is read into a buffer this process wipes once it is
		// written out.
		var value []byte
		defer func() { clear(value) }()
		err := inv.retryUnlocked(ctx, s, func() (err error) {
			value, err = s.AppendItem(ctx, value[:0], key, inv.options())
			return err
		})
		if errors.Is(err, securestore.ErrNotFound) {
			return &notFoundError{key: key, service: inv.service(), store: inv.storeName(), err: err}
		}
		if err != nil {
			return err
		}
		if _, err := inv.stdout.Write(value); err != nil {
			return err
		}
		if !noNewline {
			_, err = io.WriteString(inv.stdout, "\n")
		}
		return err
	})
}
