package credential

import (
	"errors"
	"fmt"

	"github.com/securestore-go/securestore"
)

// IsLocked reports whether err means that the item is behind the store's
// passcode: the store is locked, or the item's class needs a passcode that
// is not set, or a passcode was wrong.
func IsLocked(err error) bool {
	return errors.Is(err, securestore.ErrLocked) ||
		errors.Is(err, securestore.ErrNoPasscode) ||
		errors.Is(err, securestore.ErrWrongPasscode)
}

// LockedError is what a helper reports when the credential it needs is
// locked. Helpers run under git and docker, with no terminal of their
// own, so they never ask for the passcode; the message says where to
// unlock instead.
type LockedError struct {
	App string // the helper's app, e.g. "git-credential"
	Err error  // the library's error, wrapping ErrLocked or a sibling
}

func (e *LockedError) Error() string {
	// A helper never prompts: the passcode is given to the agent, which
	// then serves every helper run of the session (securestore unlock).
	return fmt.Sprintf("the credential is locked: app %q has a passcode, and a credential helper runs without a terminal, "+
		"so it never asks for it; unlock it for the session with 'securestore --app %s unlock' (the agent), "+
		"keep helper credentials in an app without a passcode, "+
		"or remove this one's with 'securestore --app %s passcode remove'",
		e.App, e.App, e.App)
}

func (e *LockedError) Unwrap() error { return e.Err }

// TooLargeError reports a credential whose encoded item would be longer
// than the store's limit. It is refused whole: a truncated token is a
// wrong token.
type TooLargeError struct {
	What  string // names the credential without its secret, e.g. "https://github.com"
	Bytes int    // the size of the encoded item
	Limit int    // the largest item the helper stores
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the credential for %s is %d bytes once encoded, and this helper stores at most %d bytes "+
		"(raise it with --max-value-bytes or $%s); it was not stored",
		e.What, e.Bytes, e.Limit, EnvMaxValueBytes)
}

func (e *TooLargeError) Unwrap() error { return securestore.ErrValueTooLarge }

// CheckSize returns a *TooLargeError when value is longer than limit (0
// means securestore.DefaultMaxValueBytes).
func CheckSize(what, value string, limit int) error {
	if limit == 0 {
		limit = securestore.DefaultMaxValueBytes
	}
	if len(value) > limit {
		return &TooLargeError{What: what, Bytes: len(value), Limit: limit}
	}
	return nil
}
