package main

import (
	"context"
	"errors"

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
		return errAbsent
	}
	return err
}
