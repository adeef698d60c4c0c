package main

import (
	"context"

	"github.com/securestore-go/securestore"
)

// deleteCommand is "securestore delete"; its tests are in testdata/script/delete.txtar.
var deleteCommand = &command{
	name:    "delete",
	args:    []string{"KEY"},
	summary: "delete the item stored under KEY",
	help: `Delete the item stored under KEY. Deleting an item that does not exist
succeeds.`,
	setup: noFlags(runDelete),
}

func runDelete(ctx context.Context, inv *invocation, args []string) error {
	key := args[0]
	return inv.withStore(ctx, func(s *securestore.Store) error {
		return s.DeleteItem(ctx, key, inv.options())
	})
}
