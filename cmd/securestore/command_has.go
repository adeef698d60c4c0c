package main

import (
	"context"

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
	setup: noFlags(runHas),
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
