package protector

import (
	"context"
	"errors"
)

// PasscodeBinder is implemented by a protector whose hardware can count
// wrong passcodes, so that guessing a passcode costs attempts that no
// edit of the store's files gives back.
//
// The store derives auth from the passcode (the Argon2id output, 32
// bytes); the protector seals a fresh random 32-byte secret that it
// releases only for that auth, and the store makes its passcode key
// depend on that secret. A copy of the store then cannot be guessed
// offline, not even on the machine it came from: every guess goes through
// the hardware, which counts it (the TPM's dictionary-attack protection).
//
// The store checks for it with a type assertion, like the interfaces in
// optional.go; the tpm protector implements it.
type PasscodeBinder interface {
	// BindPasscode seals a new random secret under auth and returns the
	// blob the store keeps (opaque) and the secret (the caller wipes it).
	BindPasscode(ctx context.Context, scope Scope, auth []byte) (blob, secret []byte, err error)
	// UnsealPasscode returns the secret for the right auth. A wrong auth
	// fails with an error wrapping ErrWrongAuth and is counted by the
	// hardware; when the hardware refuses all attempts for now
	// (dictionary-attack lockout) it wraps ErrLockedOut.
	UnsealPasscode(ctx context.Context, scope Scope, blob, auth []byte) (secret []byte, err error)
}

var (
	// ErrWrongAuth: the protector's hardware refused the auth derived
	// from the passcode, and counted the attempt.
	ErrWrongAuth = errors.New("wrong passcode for the protector's bound secret")
	// ErrLockedOut: the protector's hardware refuses every passcode
	// attempt for now, right or wrong (the TPM's dictionary-attack
	// lockout). It ends by itself after the hardware's recovery time, or
	// when its owner resets it (docs/SECURITY.md).
	ErrLockedOut = errors.New("protector refuses passcode attempts for now (lockout)")
)
