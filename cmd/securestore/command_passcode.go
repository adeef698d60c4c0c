package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/securestore-go/securestore"
)

// This file is the passcode command: set, change or remove the passcode
// of the app's store. How passcodes are read is in secret.go; how other
// commands unlock with one is in unlock.go.

// passcodeCommand is "securestore passcode"; its tests are in testdata/script/passcode.txtar.
var passcodeCommand = &command{
	name:    "passcode",
	args:    []string{"ACTION"},
	actions: passcodeActions,
	summary: "set, change or remove the app's passcode",
	help: `Set, change or remove the passcode of the app's store. Once it has one,
the items of every class but always and always-this-device-only need it
(see --accessible): a command that reads or sets such an item asks for
the passcode, unlocks the store for that one command, and locks it again.

  set     asks for the new passcode, twice; the store must have none
  change  asks for the current passcode, then for the new one, twice
  remove  asks for the current passcode, and deletes every
          when-passcode-set-this-device-only item: it says how many,
          and on a terminal asks first (--yes does not ask); with no
          passcode, remove does nothing

Passcodes are typed at the terminal, without echo. A script gives them on
a file descriptor instead, one per line in the order above, without the
repetition:

    securestore passcode change --passcode-fd 3 3<passcodes

A passcode is never taken from the command line or the environment. A new
passcode cannot be empty. A wrong passcode exits with status 5; after
three wrong ones in a row, each further try first waits 1 s, then 2 s,
4 s, ... up to 15 minutes, and the message says how long. Access groups
(--group) have no passcode.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		definePasscodeFD(fs, &inv.secrets)
		fs.BoolVar(&inv.yes, "yes", false, "remove: do not ask at the terminal before deleting the when-passcode-set-this-device-only items")
		return runPasscode
	},
}

// passcodeActions are the passcode command's actions, in the order of its
// help.
var passcodeActions = []string{"set", "change", "remove"}

func runPasscode(ctx context.Context, inv *invocation, args []string) error {
	if inv.global.group != "" {
		return &usageError{command: "passcode", msg: "access groups have no passcode: it protects the app's own store; leave out --group"}
	}
	action := args[0] // checkArgs made sure it is one of passcodeActions
	return inv.withStore(ctx, func(s *securestore.Store) error {
		defer s.Lock() // setting or changing a passcode leaves the store unlocked
		// A store just opened is locked exactly when it has a passcode,
		// unless an agent holds it unlocked: ask the store itself.
		_, _, err := s.UnlockDelay(ctx)
		hasPasscode := !errors.Is(err, securestore.ErrNoPasscode)
		switch action {
		case "set":
			return inv.setPasscode(ctx, s, hasPasscode)
		case "change":
			return inv.changePasscode(ctx, s, hasPasscode)
		default:
			return inv.removePasscode(ctx, s, hasPasscode)
		}
	})
}

func (inv *invocation) setPasscode(ctx context.Context, s *securestore.Store, hasPasscode bool) error {
	if hasPasscode {
		// The library would take the empty "current passcode" as a
		// wrong one and count it towards the delay.
		return &usageError{command: "passcode", msg: fmt.Sprintf(
			"app %q has a passcode already; change it with 'securestore passcode change'", inv.app())}
	}
	newPasscode, err := inv.secrets.read(inv.newPasscode())
	if err != nil {
		return err
	}
	return inv.rekey(ctx, s, nil, newPasscode) // wipes newPasscode
}

func (inv *invocation) changePasscode(ctx context.Context, s *securestore.Store, hasPasscode bool) error {
	if !hasPasscode {
		return inv.noPasscode("change")
	}
	currentPrompt := inv.currentPasscode("current passcode")
	currentPrompt.more = true // the new one follows
	current, err := inv.secrets.read(currentPrompt)
	if err != nil {
		return err
	}
	// Check the current passcode before asking for the new one twice:
	// whoever typed it wrong learns it now, not after typing two more.
	// Unlock wipes the copy it is given.
	inv.announceUnlockWait(ctx, s)
	if err := s.Unlock(ctx, bytes.Clone(current)); err != nil {
		clear(current)
		return forAction("change", err)
	}
	newPasscode, err := inv.secrets.read(inv.newPasscode())
	if err != nil {
		clear(current)
		return err
	}
	return inv.rekey(ctx, s, current, newPasscode) // wipes both
}

func (inv *invocation) removePasscode(ctx context.Context, s *securestore.Store, hasPasscode bool) error {
	if !hasPasscode {
		return nil // nothing to remove; like delete of an absent item
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	doomed := info.Items[securestore.WhenPasscodeSetThisDeviceOnly]
	if doomed > 0 && !inv.yes {
		ok, err := inv.secrets.confirm(fmt.Sprintf("Removing the passcode of app %q deletes its %d %s %s. Remove it?",
			inv.app(), doomed, securestore.WhenPasscodeSetThisDeviceOnly.Kebab(), plural(doomed, "item", "items")))
		if err != nil {
			return err
		}
		if !ok {
			return errNotConfirmed
		}
	}
	current, err := inv.secrets.read(inv.currentPasscode("current passcode"))
	if err != nil {
		return err
	}
	// Checking current waits as Unlock does.
	inv.announceUnlockWait(ctx, s)
	if err := inv.rekey(ctx, s, current, nil); err != nil { // wipes current
		return forAction("remove", err)
	}
	_, err = fmt.Fprintf(inv.stderr, "passcode removed; deleted %d %s %s\n",
		doomed, securestore.WhenPasscodeSetThisDeviceOnly.Kebab(), plural(doomed, "item", "items"))
	return err
}

// newPasscode asks for a new passcode: twice at the terminal, once from
// --passcode-fd, never empty.
func (inv *invocation) newPasscode() secretPrompt {
	return secretPrompt{
		fd:      inv.secrets.passcodeFD,
		flag:    "passcode-fd",
		what:    "new passcode",
		prompt:  fmt.Sprintf("New passcode for app %q: ", inv.app()),
		repeat:  "Type the new passcode again: ",
		ifEmpty: "to remove the passcode, use 'securestore passcode remove'",
	}
}

// noPasscode is the error of change with no passcode to change.
func (inv *invocation) noPasscode(action string) error {
	return fmt.Errorf("passcode %s: %w for app %q; set one with 'securestore passcode set'",
		action, securestore.ErrNoPasscode, inv.app())
}

// rekey sets, changes or removes the passcode (old and new as for
// Store.SetPasscode, which wipes them), showing on a terminal how many of
// the items it re-seals under fresh keys are done.
func (inv *invocation) rekey(ctx context.Context, s *securestore.Store, old, new []byte) error {
	total, last := 0, 0
	progress := newProgressLine(inv.stderr, func(done int64) string {
		return fmt.Sprintf("re-sealing items under fresh keys: %d of %d", done, total)
	})
	defer progress.finish()
	return s.SetPasscodeWithProgress(ctx, old, new, func(done, t int) {
		total = t
		progress.add(done - last)
		last = done
	})
}
