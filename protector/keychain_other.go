//go:build !darwin

package protector

import (
	"context"
	"fmt"
)

// Keychain is the macOS keychain protector (keychain_darwin.go). Elsewhere
// it exists only so that code naming it builds; it is not registered, and
// every method reports it unavailable.
type Keychain struct{}

// KeychainService is the service attribute of every item the Keychain
// protector adds.
const KeychainService = "securestore"

// Name implements Protector.
func (Keychain) Name() string { return "keychain" }

// Available implements Protector.
func (Keychain) Available(context.Context) error {
	return fmt.Errorf("keychain protector: the keychain exists only on macOS: %w", ErrUnavailable)
}

// Wrap implements Protector.
func (k Keychain) Wrap(ctx context.Context, _ Scope, _ []byte) ([]byte, error) {
	return nil, k.Available(ctx)
}

// Unwrap implements Protector.
func (k Keychain) Unwrap(ctx context.Context, _ Scope, _ []byte) ([]byte, error) {
	return nil, k.Available(ctx)
}
