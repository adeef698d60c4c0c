package securestore

import (
	"errors"
	"fmt"

	"github.com/securestore-go/securestore/internal/fsutil"
)

// Sentinel errors. Every error a Store returns wraps at most one of these
// (test with errors.Is), adds the operation and the item's name, and never
// holds a value or a passcode.
var (
	// ErrNotFound: no item has this (app or group, service, key). Expo's
	// getItemAsync resolves to null in this case.
	ErrNotFound = errors.New("item not found")
	// ErrNoStore: Config.NoCreate is set and the app's or the access
	// group's store does not exist. It wraps ErrNotFound.
	ErrNoStore = fmt.Errorf("%w: no such store", ErrNotFound)
	// ErrInvalidKey: a key, service, app or group name is empty or has a
	// character outside A-Z a-z 0-9 . _ -; nothing was read or stored.
	ErrInvalidKey = errors.New("invalid name")
	// ErrValueTooLarge: the value is longer than Config.MaxValueBytes
	// (2048 bytes by default); the stored value, if any, is unchanged.
	ErrValueTooLarge = errors.New("value too large")
	// ErrInvalidOption: an Options or Config field is out of range
	// (an unknown Accessibility, a negative MaxValueBytes, ...).
	ErrInvalidOption = errors.New("invalid option")
	// ErrLocked: the item's accessibility class needs the passcode and the
	// store is locked.
	ErrLocked = errors.New("store is locked")
	// ErrNoPasscode: WhenPasscodeSetThisDeviceOnly needs a passcode and
	// none is set.
	ErrNoPasscode = errors.New("no passcode is set")
	// ErrWrongPasscode: the passcode given does not unlock the store.
	ErrWrongPasscode = errors.New("wrong passcode")
	// ErrNotEntitled: Options.AccessGroup names a group that is not in
	// Config.AccessGroups.
	ErrNotEntitled = errors.New("access group not entitled")
	// ErrCorrupt: stored data failed authentication or does not parse. The
	// store never returns a value it cannot authenticate.
	ErrCorrupt = errors.New("store data is corrupt")
	// ErrClosed: the Store has been closed.
	ErrClosed = errors.New("store is closed")
	// ErrDiskFull: the file system holding the store has no space left for
	// a write. The message names the directory; once space is freed there,
	// writes work again. Reads of an existing store do not need space.
	ErrDiskFull = errors.New("no space left for the store")
	// ErrUnavailable: the store's database cannot be used right now for a
	// reason that is not damage: an I/O error, a lock another process held
	// past the busy timeout, a read-only file system, a store written by a
	// newer securestore.
	ErrUnavailable = errors.New("store database unavailable")
	// ErrAuthenticationRequired: the item was set with
	// Options.RequireAuthentication and no proof of the user's presence
	// could be had: no agent is running (this process alone can never
	// read such an item), the agent has no pinentry that reaches the
	// user, or the user dismissed the prompt. A wrong passcode at the
	// prompt wraps ErrWrongPasscode too.
	ErrAuthenticationRequired = errors.New("user authentication required")
)

// PermissionError reports a store directory or file that other users may
// read or that belongs to another user. Open refuses such a store, as ssh
// refuses a private key that others can read; the message says how to fix it.
type PermissionError = fsutil.PermissionError
