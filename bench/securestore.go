package bench

import (
	"context"
	"fmt"
	"os"

	"github.com/securestore-go/securestore"
)

// App is the securestore app the harness's stores belong to.
const App = "com.example.storebench"

// Securestore is the library in-process, with one protector.
type Securestore struct {
	name      string
	dir       string
	protector string
	s         *securestore.Store
	opts      *securestore.Options
}

// OpenSecurestore opens (creating) the store of App in dir, protected by
// the named protector ("file", "secretservice").
func OpenSecurestore(ctx context.Context, dir, protector string) (*Securestore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s, err := securestore.Open(ctx, securestore.Config{App: App, Dir: dir, Protector: protector})
	if err != nil {
		return nil, err
	}
	return &Securestore{
		name:      "securestore/" + protector,
		dir:       dir,
		protector: protector,
		s:         s,
		opts:      &securestore.Options{KeychainService: Service},
	}, nil
}

// Name implements Store.
func (s *Securestore) Name() string { return s.name }

// Dir is the store's directory, for the CLI and the fsync probe.
func (s *Securestore) Dir() string { return s.dir }

// Protector is the protector the store was opened with.
func (s *Securestore) Protector() string { return s.protector }

// Set implements Store.
func (s *Securestore) Set(ctx context.Context, key, value string) error {
	return s.s.SetItem(ctx, key, value, s.opts)
}

// Get implements Store.
func (s *Securestore) Get(ctx context.Context, key string) (string, error) {
	return s.s.GetItem(ctx, key, s.opts)
}

// Delete implements Store.
func (s *Securestore) Delete(ctx context.Context, key string) error {
	return s.s.DeleteItem(ctx, key, s.opts)
}

// List implements Store.
func (s *Securestore) List(ctx context.Context) ([]string, error) {
	return s.s.Keys(ctx, s.opts)
}

// Close implements Store.
func (s *Securestore) Close() error { return s.s.Close() }

// Backing implements Shared: the CLI adapter reads the same store.
func (s *Securestore) Backing() string { return "securestore:" + s.dir }

// fillWriters is how many goroutines fill a store: enough that group
// commit batches the inserts into few fsyncs.
const fillWriters = 64

// Fill implements BulkFiller through the library's own fast path: many
// concurrent SetItems share commits.
func (s *Securestore) Fill(ctx context.Context, keys []string) error {
	return setAll(ctx, s, keys, fillWriters)
}

// FillMethod implements BulkFiller.
func (s *Securestore) FillMethod() string {
	return fmt.Sprintf("SetItem from %d goroutines (group commit)", fillWriters)
}
