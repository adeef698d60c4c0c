package bench

import (
	"context"
	"errors"
)

// Store is one secret store as the harness drives it: items of ValueSize
// bytes under Service, addressed by key. An adapter does what the peer's
// users do: call the library, or start the command, once per operation.
type Store interface {
	// Name identifies the store in results: "securestore/file", "pass", ...
	Name() string
	// Set stores value under key, creating or replacing the item.
	Set(ctx context.Context, key, value string) error
	// Get returns the value under key; a missing item is an error.
	Get(ctx context.Context, key string) (string, error)
	// Delete removes the item under key.
	Delete(ctx context.Context, key string) error
	// List returns the keys under Service, in any order. A store that
	// cannot list returns an error wrapping ErrUnsupported that says why.
	List(ctx context.Context) ([]string, error)
	// Close releases what the adapter holds; the items stay.
	Close() error
}

// ErrUnsupported marks an operation that a peer does not offer at all.
var ErrUnsupported = errors.New("not offered by this store")

// Limits are what the harness may not do with a store, each with the
// reason the report prints.
type Limits struct {
	// MaxItems, when positive, is the largest store size measured.
	MaxItems    int
	MaxItemsWhy string
	// Serial, when set, is why concurrent writers are not measured.
	Serial string
	// FillWorkers is how many goroutines pre-fill with Set (default 1).
	FillWorkers int
}

// Limited is a Store with Limits.
type Limited interface{ Limits() Limits }

// BulkFiller is a Store with a faster way to pre-fill than one Set per
// item: the fastest path its users have. Fill stores Value(key) under
// every key.
type BulkFiller interface {
	Fill(ctx context.Context, keys []string) error
	// FillMethod says how, for the report.
	FillMethod() string
}

// Shared is a Store whose items live where another store's do: two stores
// with the same Backing see the same items (go-keyring and secret-tool
// use the same keyring attributes; the securestore CLI opens the store
// that the library adapter fills), so the harness fills that place once.
type Shared interface{ Backing() string }

func limitsOf(s Store) Limits {
	var l Limits
	if ls, ok := s.(Limited); ok {
		l = ls.Limits()
	}
	if l.FillWorkers < 1 {
		l.FillWorkers = 1
	}
	return l
}

func backingOf(s Store) string {
	if sh, ok := s.(Shared); ok {
		return sh.Backing()
	}
	return s.Name()
}
