package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/securestore-go/securestore/agent"
)

// This file is the lock command: lock every store in the agent.

var lockCommand = &command{
	name:    "lock",
	summary: "lock every store in the agent",
	help: `Lock every store the agent holds unlocked: the items of the when-unlocked
classes need the passcode again. After-first-unlock items stay readable
until the agent ends, as on a phone until it restarts. With no agent
running there is nothing to lock, and lock says so.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		return runLock
	},
}

func runLock(ctx context.Context, inv *invocation, _ []string) error {
	c, err := dialAgent(ctx, "")
	if errors.Is(err, agent.ErrUnavailable) {
		fmt.Fprintln(inv.stderr, "no agent is running: nothing is unlocked")
		return nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Lock(ctx, agent.StoreRef{})
}
