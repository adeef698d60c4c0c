package main

import (
	"context"
	"flag"
	"io"
	"strings"

	"github.com/securestore-go/securestore"
)

// listCommand is "securestore list"; its tests are in testdata/script/list.txtar.
var listCommand = &command{
	name:    "list",
	summary: "print the keys of the service, sorted, one per line",
	help: `Print the keys of the items in the service (--service, default "app"),
sorted, one per line. Values are not printed.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var asJSON bool
		fs.BoolVar(&asJSON, "json", false, "print {\"app\",\"group\",\"service\",\"keys\":[...]} as one line of JSON (docs/CLI-JSON.md)")
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runList(ctx, inv, asJSON)
		}
	},
}

// listJSON is list --json.
type listJSON struct {
	jsonTarget
	Keys []string `json:"keys"`
}

func runList(ctx context.Context, inv *invocation, asJSON bool) error {
	return inv.withExistingStore(ctx, func(s *securestore.Store) error {
		keys, err := s.Keys(ctx, inv.options())
		if err == nil && asJSON {
			return writeJSON(inv.stdout, listJSON{inv.jsonTarget(), append([]string{}, keys...)})
		}
		if err != nil || len(keys) == 0 {
			return err
		}
		_, err = io.WriteString(inv.stdout, strings.Join(keys, "\n")+"\n")
		return err
	})
}
