//go:build !windows

package protector

import (
	"context"
	"fmt"
)

// DPAPI is the Windows Data Protection API protector (dpapi_windows.go).
// Elsewhere it exists only so that code naming it builds; it is not
// registered, and every method reports it unavailable.
type DPAPI struct{}

// Name implements Protector.
func (DPAPI) Name() string { return "dpapi" }

// Available implements Protector.
func (DPAPI) Available(context.Context) error {
	return fmt.Errorf("dpapi protector: DPAPI exists only on Windows: %w", ErrUnavailable)
}

// Wrap implements Protector.
func (d DPAPI) Wrap(ctx context.Context, _ Scope, _ []byte) ([]byte, error) {
	return nil, d.Available(ctx)
}

// Unwrap implements Protector.
func (d DPAPI) Unwrap(ctx context.Context, _ Scope, _ []byte) ([]byte, error) {
	return nil, d.Available(ctx)
}
