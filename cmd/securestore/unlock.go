package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/securestore-go/securestore"
)

// A store with a passcode opens locked: every class but the two Always
// ones needs the passcode. The CLI unlocks for one command at a time, as a
// phone unlocks for one use: a command that meets a locked item asks for
// the passcode (secret.go), unlocks, does its work and locks again before
// it exits. Nothing stays unlocked between commands, unless an agent runs
// (securestore agent): then the unlock is the agent's, for the session,
// until it locks (command_unlock.go).

// currentPasscode is how a command asks for the passcode the app's store
// has now.
func (inv *invocation) currentPasscode(what string) secretPrompt {
	return secretPrompt{
		fd:     inv.secrets.passcodeFD,
		flag:   "passcode-fd",
		what:   what,
		prompt: fmt.Sprintf("Passcode of app %q: ", inv.app()),
	}
}

// retryUnlocked runs op. When op fails because the store is locked, it
// unlocks the store with the passcode, runs op once more and locks the
// store again.
func (inv *invocation) retryUnlocked(ctx context.Context, s *securestore.Store, op func() error) error {
	err := op()
	if !errors.Is(err, securestore.ErrLocked) {
		return err
	}
	if err := inv.unlock(ctx, s, err); err != nil {
		return err
	}
	if !s.UsesAgent() { // an agent's unlock is for the session, as its user asked
		defer s.Lock()
	}
	return op()
}

// unlockIfLocked unlocks s when it has a passcode and is locked, for the
// commands that need every class at once (export, import), which would
// otherwise fail half-way. The returned func locks s again.
func (inv *invocation) unlockIfLocked(ctx context.Context, s *securestore.Store, command string) (relock func(), err error) {
	if !s.Locked() {
		return func() {}, nil
	}
	cause := fmt.Errorf("%s: app %q has a passcode and is locked: %w", command, inv.app(), securestore.ErrLocked)
	if err := inv.unlock(ctx, s, cause); err != nil {
		return nil, err
	}
	if s.UsesAgent() {
		return func() {}, nil
	}
	return func() { s.Lock() }, nil
}

// unlock asks for the passcode and unlocks s with it. cause is the error
// that showed s locked: without a terminal or --passcode-fd, unlock
// returns it (exit status 3) with the ways to give the passcode.
func (inv *invocation) unlock(ctx context.Context, s *securestore.Store, cause error) error {
	passcode, err := inv.secrets.read(inv.currentPasscode("passcode"))
	if errors.Is(err, errNoTerminal) {
		return &lockedError{err: cause}
	}
	if err != nil {
		return err
	}
	// A wrong passcode fails with ErrWrongPasscode (exit status 5); after
	// a few in a row the library waits before trying, and its message
	// says how long the next attempt will wait.
	inv.announceUnlockWait(ctx, s)
	return s.Unlock(ctx, passcode) // wipes passcode
}

// unlockDelay is Store.UnlockDelay; tests replace it to announce a wait
// that the store's real clock would make them sleep through.
var unlockDelay = (*securestore.Store).UnlockDelay

// announceUnlockWait says on a terminal that the passcode attempt about
// to start waits first, and why: "waiting 4 s after 5 wrong passcodes".
// Without it a user who typed the passcode sees nothing happen for up to
// 15 minutes. It says nothing when stderr is not a terminal (logs and
// scripts get the library's error, which names the next wait) or when
// there is no wait; an error reading the count is left to the attempt,
// which meets it too.
func (inv *invocation) announceUnlockWait(ctx context.Context, s *securestore.Store) {
	if !writerIsTerminal(inv.stderr) {
		return
	}
	wait, failures, err := unlockDelay(s, ctx)
	if err != nil || wait <= 0 {
		return
	}
	seconds := (wait + time.Second - 1) / time.Second // 0.2 s left is "1 s", never "0 s"
	fmt.Fprintf(inv.stderr, "waiting %d s after %d wrong %s\n", seconds, failures, plural(failures, "passcode", "passcodes"))
}

// lockedError is a locked store that the command could not unlock, for
// want of a way to ask for the passcode. It wraps securestore.ErrLocked.
type lockedError struct {
	err error
}

func (e *lockedError) Error() string {
	return e.err.Error() + "; to unlock it for this command, run it at a terminal and type the passcode, " +
		"or give the passcode on a file descriptor with --passcode-fd N"
}

func (e *lockedError) Unwrap() error { return e.err }
