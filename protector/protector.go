package protector

import (
	"context"
	"errors"
)

// Protector protects one device key per store.
type Protector interface {
	// Name is the stable identifier recorded in each store it protects,
	// e.g. "file". It must satisfy the key rule [A-Za-z0-9._-]+.
	Name() string
	// Available reports, quickly and within ctx's deadline, whether this
	// protector can work on this machine now; the error says why not and
	// wraps ErrUnavailable.
	Available(ctx context.Context) error
	// Wrap protects key for the store named by scope and returns an opaque
	// blob that the store persists. It may keep state of its own (a key
	// file, a keyring item) identified by scope.
	Wrap(ctx context.Context, scope Scope, key []byte) (blob []byte, err error)
	// Unwrap recovers the key that Wrap protected. It never creates state:
	// a missing or altered key, key file or keyring item is an error.
	Unwrap(ctx context.Context, scope Scope, blob []byte) (key []byte, err error)
}

// Scope names the store a device key belongs to.
type Scope struct {
	Dir   string // the store directory; a protector may keep files here
	Store string // the store's identity: "app:NAME" or "group:NAME"
}

var (
	// ErrUnavailable: the protector cannot be used on this machine now.
	ErrUnavailable = errors.New("protector unavailable")
	// ErrUnknown: no protector is registered under that name.
	ErrUnknown = errors.New("unknown protector")
	// ErrWrongMachine: the key was bound to another machine; a copied store
	// directory does not open elsewhere.
	ErrWrongMachine = errors.New("key is bound to another machine")
	// ErrKeyMissing: the protector's own key material (key file, keyring
	// item, sealed object) is gone, so the device key cannot be recovered.
	ErrKeyMissing = errors.New("protector key material is missing")
	// ErrKeyCorrupt: the protector's key material or the wrapped blob was
	// altered.
	ErrKeyCorrupt = errors.New("protector key material is corrupt")
	// ErrLocked: the key store holds the key but is locked, and unlocking
	// it failed: the unlock prompt was dismissed, or could not be shown
	// (a headless session), or was not answered before the deadline.
	// Unlocking the key store (e.g. logging in to the desktop) and trying
	// again is enough; nothing is lost.
	ErrLocked = errors.New("protector key store is locked")
)
