package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/logind"
	"github.com/securestore-go/securestore/internal/pinentry"
	"github.com/securestore-go/securestore/internal/secmem"
)

// This file connects the agent's two hooks to the system: a pinentry
// program as its Prompter, and logind's session events as its LockEvents.

// pinentryPrompter is the agent's Prompter: GnuPG's pinentry program, on
// the terminal the agent was started from (if any) or the desktop.
type pinentryPrompter struct{ p pinentry.Pinentry }

// newPinentryPrompter returns the agent's prompter: program is --pinentry
// ("" means $SECURESTORE_PINENTRY, else "pinentry" on $PATH); the prompt
// goes to the agent's own terminal, as gpg-agent's does without $GPG_TTY.
func newPinentryPrompter(program string) *pinentryPrompter {
	return &pinentryPrompter{p: pinentry.Pinentry{
		Program:  program,
		TTY:      pinentry.TTYName(os.Stdin),
		TermType: os.Getenv("TERM"),
	}}
}

func (pp *pinentryPrompter) AskPasscode(ctx context.Context, text agent.PromptText) (*secmem.Buffer, error) {
	return pp.p.AskPasscode(ctx, pinentry.Prompt(text))
}

// Available reports whether a prompt could reach the user now.
func (pp *pinentryPrompter) Available(ctx context.Context) error { return pp.p.Available(ctx) }

// watchSession forwards the lock events of the user's desktop session
// (logind: the screen locks, the machine is about to sleep) to events,
// until ctx ends. Without a system bus or logind it says so once on logw
// and returns: the agent runs on, locking by its timers and by hand.
func watchSession(ctx context.Context, opts logind.Options, events chan<- agent.LockEvent, logw io.Writer) {
	w, err := logind.Watch(ctx, opts)
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(logw, "securestore agent: not watching the session (%v); it locks by its timers and 'securestore lock' only\n", err)
		}
		return
	}
	defer w.Close()
	fmt.Fprintln(logw, "securestore agent: watching the session: it locks when the screen locks and before sleep")
	lost := false
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events():
			if !ok {
				return
			}
			// The watch's state first: a reconnection to a session that
			// locked while the watcher was blind both ends the blindness
			// and locks (ShouldLock).
			switch ev.Kind {
			case logind.BusLost, logind.ServiceLost:
				if !lost {
					fmt.Fprintf(logw, "securestore agent: lost the session watch (%v); retrying\n", ev)
				}
				lost = true
			case logind.Reconnected, logind.ServiceBack:
				if lost {
					fmt.Fprintln(logw, "securestore agent: watching the session again")
				}
				lost = false
			}
			if ev.ShouldLock() {
				select {
				case events <- agent.LockEvent{Reason: ev.Reason()}:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}
