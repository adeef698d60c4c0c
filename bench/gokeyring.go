package bench

import (
	"context"
	"fmt"

	gokeyring "github.com/zalando/go-keyring"
)

// GoKeyring is github.com/zalando/go-keyring on the session's Secret
// Service: each call opens a Secret Service session, searches for the
// item by its attributes and reads or writes it over D-Bus.
type GoKeyring struct{ maxItems int }

// NewGoKeyring checks that the Secret Service is a throwaway one. The
// harness fills it with at most maxItems items.
func NewGoKeyring(maxItems int) (*GoKeyring, error) {
	if err := needThrowawaySecretService(); err != nil {
		return nil, err
	}
	return &GoKeyring{maxItems: maxItems}, nil
}

// Name implements Store.
func (*GoKeyring) Name() string { return "go-keyring" }

// Set implements Store.
func (*GoKeyring) Set(_ context.Context, key, value string) error {
	return gokeyring.Set(Service, key, value)
}

// Get implements Store.
func (*GoKeyring) Get(_ context.Context, key string) (string, error) {
	return gokeyring.Get(Service, key)
}

// Delete implements Store.
func (*GoKeyring) Delete(_ context.Context, key string) error {
	return gokeyring.Delete(Service, key)
}

// List implements Store: go-keyring has Set, Get, Delete and DeleteAll,
// but no call that enumerates a service's keys.
func (*GoKeyring) List(context.Context) ([]string, error) {
	return nil, fmt.Errorf("go-keyring has no call that lists a service's keys: %w", ErrUnsupported)
}

// Close implements Store.
func (*GoKeyring) Close() error { return nil }

// Backing implements Shared.
func (*GoKeyring) Backing() string { return keyringBacking }

// Limits implements Limited. Concurrent calls are allowed: each opens its
// own Secret Service session on the shared bus connection.
func (g *GoKeyring) Limits() Limits {
	return Limits{MaxItems: g.maxItems, MaxItemsWhy: keyringMaxItemsWhy}
}
