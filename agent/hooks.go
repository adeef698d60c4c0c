package agent

import (
	"context"

	"github.com/securestore-go/securestore/internal/secmem"
)

// Unlocker turns a store's passcode into its passcode-protected class
// keys. The securestore package implements it (securestore.AgentUnlocker)
// with its real unlock path, so that the wrong-passcode count and delay
// count the agent's attempts too. Errors that mean a wrong passcode wrap
// ErrWrongPasscode. The passcode is the caller's to wipe.
type Unlocker interface {
	Unlock(ctx context.Context, store StoreRef, passcode []byte) (*Keys, error)
}

// Keys are a store's unlocked class keys. The agent owns the buffers once
// Unlock returns them, and wipes them when it locks or ends.
type Keys struct {
	// Generation is the store's key generation the keys belong to.
	Generation uint64
	Classes    []ClassKey
}

// ClassKey is one class's key.
type ClassKey struct {
	Class uint8
	Key   *secmem.Buffer
	// KeepOnLock: an AfterFirstUnlock class, which Lock and the
	// auto-lock leave unlocked until the agent ends (its "reboot").
	KeepOnLock bool
}

// Free wipes every key.
func (k *Keys) Free() {
	if k == nil {
		return
	}
	for _, c := range k.Classes {
		c.Key.Free()
	}
}

// PromptText is what a Prompter shows the user.
type PromptText struct {
	Title       string // "securestore"
	Description string // which store, why
	Prompt      string // "Passcode:"
	Error       string // the previous attempt's error, "" for the first
}

// Prompter asks the user for a passcode (a pinentry program): an agent
// with one can unlock a store that a client asked for without a passcode,
// and can prove the user's presence. The returned buffer is the agent's
// to wipe.
type Prompter interface {
	AskPasscode(ctx context.Context, text PromptText) (*secmem.Buffer, error)
}

// LockEvent is an outside reason to lock, as a session watcher (logind's
// Lock signal, LockedHint, PrepareForSleep) reports it: the agent locks
// exactly as for a Lock request.
type LockEvent struct {
	Reason string // "session locked", "before sleep"
}
