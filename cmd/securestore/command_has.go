package main

import (
	"context"
	"errors"
	"flag"

	"github.com/securestore-go/securestore"
)

// hasCommand is "securestore has"; its tests are in testdata/script/has.txtar.
var hasCommand = &command{
	name:    "has",
	args:    []string{"KEY"},
	summary: "exit 0 if an item is stored under KEY, 1 if not",
	help: `Exit with status 0 when an item is stored under KEY, 1 when there is
none. has prints nothing, never reads the value, and works for items
of every accessibility class, locked or not:

    if securestore has token; then ...`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var asJSON bool
		fs.BoolVar(&asJSON, "json", false, "also print {\"app\",\"group\",\"service\",\"key\",\"present\"} as one line of JSON (docs/CLI-JSON.md)")
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runHas(ctx, inv, args[0], asJSON)
		}
	},
}

// hasJSON is has --json.
type hasJSON struct {
	jsonTarget
	Key     string `json:"key"`
	Present bool   `json:"present"`
}

func runHas(ctx context.Context, inv *invocation, key string, asJSON bool) error {
	err := inv.withExistingStore(ctx, func(s *securestore.Store) error {
		ok, err := s.HasItem(ctx, key, inv.options())
		if err == nil && !ok {
			err = errAbsent
		}
		return err
	})
	if errors.Is(err, securestore.ErrNoStore) {
		// An app without a store has no item: has stays silent, like
		// grep -q, as scripts ask it before the first set.
		err = errAbsent
	}
	if asJSON && (err == nil || err == errAbsent) {
		if werr := writeJSON(inv.stdout, hasJSON{inv.jsonTarget(), key, err == nil}); werr != nil {
			return werr
		}
	}
	return err
}
