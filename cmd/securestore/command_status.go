package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/agent"
)

// This file is the status command: what the agent holds unlocked.

var statusCommand = &command{
	name:    "status",
	summary: "show which stores the agent holds unlocked, since and until when",
	help: `Show the stores the agent holds keys of: whether each is unlocked (the
when-unlocked classes) or only after-first-unlock, since when, and when it
locks by itself; and the stores the agent keeps in sync (agent --sync):
whether securestore-sync runs for each, its pid, how often it was
restarted, how it last exited. --json prints one line of JSON (docs/CLI-JSON.md).`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var asJSON bool
		fs.BoolVar(&asJSON, "json", false, "print {\"agent\",\"socket\",\"stores\":[...],\"synced\":[...]} as one line of JSON (docs/CLI-JSON.md)")
		return func(ctx context.Context, inv *invocation, _ []string) error { return runStatus(ctx, inv, asJSON) }
	},
}

// statusJSON is status --json.
type statusJSON struct {
	Agent  bool              `json:"agent"`
	Socket string            `json:"socket"`
	Stores []storeStatusJSON `json:"stores"`
	Synced []syncedJSON      `json:"synced"`
}

// syncedJSON is a store the agent keeps in sync (agent --sync).
type syncedJSON struct {
	Store    string `json:"store"`
	Running  bool   `json:"running"`
	PID      int    `json:"pid,omitempty"`
	Restarts int    `json:"restarts"`
	LastExit string `json:"last_exit,omitempty"`
}

type storeStatusJSON struct {
	Store         string   `json:"store"`
	Dir           string   `json:"dir"`
	Locked        bool     `json:"locked"`
	Classes       []string `json:"classes"`
	UnlockedSince string   `json:"unlocked_since,omitempty"`
	IdleLockAt    string   `json:"idle_lock_at,omitempty"`
	MaxLockAt     string   `json:"max_lock_at,omitempty"`
}

func stamp(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

func runStatus(ctx context.Context, inv *invocation, asJSON bool) error {
	out := statusJSON{Stores: []storeStatusJSON{}, Synced: []syncedJSON{}}
	path, err := agentSocket("")
	if err == nil {
		out.Socket = path
	}
	c, err := dialAgent(ctx, "")
	switch {
	case errors.Is(err, agent.ErrUnavailable), errors.Is(err, agent.ErrNoSocketPath):
	case err != nil:
		return err
	default:
		defer c.Close()
		out.Agent = true
		st, err := c.Status(ctx, agent.StoreRef{})
		if err != nil {
			return err
		}
		for _, s := range st {
			j := storeStatusJSON{Store: s.Store.ID(), Dir: s.Store.Dir, Locked: s.Locked, Classes: []string{},
				UnlockedSince: stamp(s.UnlockedAt), IdleLockAt: stamp(s.IdleLockAt), MaxLockAt: stamp(s.MaxLockAt)}
			for _, cl := range s.Classes {
				j.Classes = append(j.Classes, securestore.Accessibility(cl).Kebab())
			}
			out.Stores = append(out.Stores, j)
		}
		synced, err := c.Synced(ctx)
		if err != nil {
			return err
		}
		for _, y := range synced {
			out.Synced = append(out.Synced, syncedJSON{Store: y.Store, Running: y.Running, PID: int(y.PID),
				Restarts: int(y.Restarts), LastExit: y.LastExit})
		}
	}
	if asJSON {
		return writeJSON(inv.stdout, out)
	}
	if !out.Agent {
		_, err := fmt.Fprintln(inv.stdout, "no agent is running")
		return err
	}
	if len(out.Stores) == 0 {
		fmt.Fprintln(inv.stdout, "agent running; nothing unlocked")
	}
	for _, s := range out.Stores {
		state := "unlocked"
		if s.Locked {
			state = "locked (after-first-unlock items readable)"
		}
		fmt.Fprintf(inv.stdout, "%s in %s: %s\n", s.Store, s.Dir, state)
		if s.UnlockedSince != "" {
			fmt.Fprintf(inv.stdout, "  unlocked since %s\n", s.UnlockedSince)
		}
		if s.IdleLockAt != "" {
			fmt.Fprintf(inv.stdout, "  locks at %s if unused\n", s.IdleLockAt)
		}
		if s.MaxLockAt != "" {
			fmt.Fprintf(inv.stdout, "  locks at %s at the latest\n", s.MaxLockAt)
		}
	}
	for _, y := range out.Synced {
		state := "not running"
		if y.Running {
			state = fmt.Sprintf("running, pid %d", y.PID)
		}
		fmt.Fprintf(inv.stdout, "%s kept in sync by the agent: %s, %d restarts", y.Store, state, y.Restarts)
		if y.LastExit != "" {
			fmt.Fprintf(inv.stdout, ", last exit: %s", y.LastExit)
		}
		fmt.Fprintln(inv.stdout)
	}
	return nil
}
