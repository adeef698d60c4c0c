package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/securestore-go/securestore"
)

// This file is the passcode command: set, change or remove the passcode
// of the app's store. How passcodes are read is in secret.go; how other
// commands unlock with one is in unlock.go.

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
		// A store just opened is locked exactly when it has a passcode.
		hasPasscode := s.Locked()
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
	return s.SetPasscode(ctx, nil, newPasscode) // wipes newPasscode
}

func (inv *invocation) changePasscode(ctx context.Context, s *securestore.Store, hasPasscode bool) error {
	if !hasPasscode {
		return inv.noPasscode("change")
	}
	current, err := inv.secrets.read(inv.currentPasscode("current passcode"))
	if err != nil {
		return err
	}
	// Check the current passcode before asking for the new one twice:
	// whoever typed it wrong learns it now, not after typing two more.
	// Unlock wipes the copy it is given.
	if err := s.Unlock(ctx, bytes.Clone(current)); err != nil {
		clear(current)
		return err
	}
	newPasscode, err := inv.secrets.read(inv.newPasscode())
	if err != nil {
		clear(current)
		return err
	}
	return s.SetPasscode(ctx, current, newPasscode) // wipes both
}

func (inv *invocation) removePasscode(ctx context.Context, s *securestore.Store, hasPasscode bool) error {
	if !hasPasscode {
		return nil // nothing to remove; like delete of an absent item
	}
	current, err := inv.secrets.read(inv.currentPasscode("current passcode"))
	if err != nil {
		return err
	}
	return s.SetPasscode(ctx, current, nil) // wipes current
}

// newPasscode asks for a new passcode: twice at the terminal, once from
// --passcode-fd, never empty.
func (inv *invocation) newPasscode() secretPrompt {
	return secretPrompt{
		fd:      inv.passcodeFD,
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
