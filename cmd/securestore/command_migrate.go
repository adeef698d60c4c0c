package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/securestore-go/securestore"
)

// migrateCommand is "securestore migrate"; its tests are in testdata/script/migrate.txtar.
var migrateCommand = &command{
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
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var to string
		fs.StringVar(&to, "to", "", "the protector `NAME` to move the key to (required)")
		return func(ctx context.Context, inv *invocation, _ []string) error {
			return runMigrate(ctx, inv, to)
		}
	},
}

func runMigrate(ctx context.Context, inv *invocation, to string) error {
	if to == "" {
		return &usageError{command: "migrate", msg: "missing --to NAME"}
	}
	done, err := securestore.Migrate(ctx, inv.config(), to)
	for _, m := range done {
		if m.From == m.To {
			fmt.Fprintf(inv.stdout, "%s: already protected by %s\n", m.Store, m.To)
			continue
		}
		fmt.Fprintf(inv.stdout, "%s: moved from %s to %s\n", m.Store, m.From, m.To)
		if m.CleanupErr != nil {
			fmt.Fprintf(inv.stderr, "securestore: %s: the old %s key material was left behind: %v\n", m.Store, m.From, m.CleanupErr)
		}
	}
	return err
}
