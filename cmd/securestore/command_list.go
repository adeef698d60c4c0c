package main

import (
	"context"
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
	setup: noFlags(runList),
}

func runList(ctx context.Context, inv *invocation, _ []string) error {
	return inv.withExistingStore(ctx, func(s *securestore.Store) error {
		keys, err := s.Keys(ctx, inv.options())
		if err != nil || len(keys) == 0 {
			return err
		}
		_, err = io.WriteString(inv.stdout, strings.Join(keys, "\n")+"\n")
		return err
	})
}
