package securestore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"unsafe"

	"github.com/securestore-go/securestore/internal/fsutil"
)

// Store is an open store of one app, with the access groups it is entitled
// to. It is safe for concurrent use by many goroutines, and many processes
// may open the same store at once.
type Store struct {
	cfg   *resolved
	clock clock // time for the wrong-passcode delay

	mu     sync.RWMutex // held shared by every operation, exclusively by Close
	closed bool
	own    *storeDB

	groupsMu sync.Mutex
	groups   map[string]*storeDB // access-group stores, opened on first use
}

// Open opens the store of cfg.App, creating it on first use.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("securestore: open: %w", err)
	}
	r, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("securestore: open: %w", err)
	}
	r.costs = kdfCostsFor(ctx)
	mkdir := fsutil.MkdirPrivate
	if r.noCreate {
		mkdir = fsutil.CheckPrivate // a missing directory is no error
	}
	if err := mkdir(r.dir); err != nil {
		return nil, fmt.Errorf("securestore: open app %q: %w", r.app, err)
	}
	own, err := openStoreDB(ctx, r.dir, "app", r.app, r.protector, !r.noCreate)
	if errors.Is(err, ErrNoStore) {
		// NoCreate: every operation on the own store says so (storeFor).
		own, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("securestore: open app %q: %w", r.app, err)
	}
	if err := attachAgent(ctx, r, own); err != nil {
		own.close()
		return nil, fmt.Errorf("securestore: open app %q: %w", r.app, err)
	}
	return &Store{cfg: r, clock: realClock, own: own, groups: map[string]*storeDB{}}, nil
}

// IsAvailable reports whether a store can be opened here with the default
// directory and protector: a per-user data directory is known and a
// protector is available. It creates nothing.
func IsAvailable(ctx context.Context) bool {
	if _, err := resolveDir(""); err != nil {
		return false
	}
	_, err := defaultProtectors().Select(ctx, resolveProtector(""))
	return err == nil
}

// item is a validated operation target: the store and the item's names.
type item struct {
	v       *storeDB
	service string
	key     string
}

// op is the common prologue of every item operation: it takes the shared
// lock (released by the returned func), checks the context, validates the
// names and picks the store. Every error it returns is already wrapped.
func (s *Store) op(ctx context.Context, name, key string, opts *Options) (item, func(), error) {
	s.mu.RLock()
	unlock := s.mu.RUnlock
	fail := func(err error) (item, func(), error) {
		unlock()
		return item{}, func() {}, fmt.Errorf("securestore: %s: %w", name, err)
	}
	if err := s.check(ctx); err != nil {
		return fail(err)
	}
	if opts == nil {
		opts = &Options{}
	}
	service := opts.KeychainService
	if service == "" {
		service = DefaultService
	}
	if err := validName("service", service); err != nil {
		return fail(err)
	}
	if name != "keys" {
		if err := validName("key", key); err != nil {
			return fail(err)
		}
	}
	v, err := s.storeFor(ctx, opts.AccessGroup)
	if err != nil {
		return fail(err)
	}
	return item{v, service, key}, unlock, nil
}

// check fails when the store is closed or ctx has ended. The caller holds
// s.mu.
func (s *Store) check(ctx context.Context) error {
	if s.closed {
		return ErrClosed
	}
	return ctx.Err()
}

// storeFor returns the app's own store, or the access group's, opening it on first use.
func (s *Store) storeFor(ctx context.Context, group string) (*storeDB, error) {
	if group == "" {
		if s.own == nil {
			return nil, noStoreErr(s.cfg.dir, "app", s.cfg.app)
		}
		return s.own, nil
	}
	if err := validName("access group", group); err != nil {
		return nil, err
	}
	if !s.cfg.groups[group] {
		return nil, fmt.Errorf("%w: app %q does not list access group %q in Config.AccessGroups", ErrNotEntitled, s.cfg.app, group)
	}
	s.groupsMu.Lock()
	defer s.groupsMu.Unlock()
	if v := s.groups[group]; v != nil {
		return v, nil
	}
	v, err := openStoreDB(ctx, s.cfg.dir, "group", group, s.cfg.protector, !s.cfg.noCreate)
	if errors.Is(err, ErrNoStore) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("open access group %q: %w", group, err)
	}
	s.groups[group] = v
	return v, nil
}

// itemErr wraps err with the operation and the item's names (never its value).
func itemErr(op string, it item, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("securestore: %s %q (service %q in %s): %w", op, it.key, it.service, it.v.describe(), err)
}

// SetItem stores value under key, replacing any item with the same
// identity (store, service, key), whatever its class. It returns nil only
// once the item is durable. A value longer than Config.MaxValueBytes fails
// with ErrValueTooLarge and leaves the stored item as it was.
func (s *Store) SetItem(ctx context.Context, key, value string, opts *Options) error {
	it, done, err := s.op(ctx, "set", key, opts)
	if err != nil {
		return err
	}
	defer done()
	class := WhenUnlocked
	if opts != nil {
		class = opts.KeychainAccessible
	}
	if !class.valid() {
		return itemErr("set", it, fmt.Errorf("%w: unknown accessibility %d", ErrInvalidOption, int(class)))
	}
	if len(value) > s.cfg.maxValue {
		return itemErr("set", it, fmt.Errorf("%w: %d bytes, the limit is %d", ErrValueTooLarge, len(value), s.cfg.maxValue))
	}
	if opts != nil && opts.RequireAuthentication { // auth.go
		if err := checkAuthOptions(opts); err != nil {
			return itemErr("set", it, err)
		}
		// Its key exists only on this device, under this passcode: such an
		// item cannot follow the user to other devices.
		if opts.Synchronizable {
			return itemErr("set", it, fmt.Errorf("%w: an item that requires authentication cannot be synchronizable", ErrInvalidOption))
		}
		// A read of its own, before the write, so that the user is not
		// asked for the passcode for a write that would be refused; the
		// write (auth.go) checks again inside its commit.
		if synced, err := it.v.isSynced(ctx, it.service, it.key); err != nil {
			return itemErr("set", it, err)
		} else if synced {
			return itemErr("set", it, errAuthSynced)
		}
		return itemErr("set", it, it.v.setAuthenticated(ctx, it.service, it.key, class, value, opts))
	}
	if opts != nil && opts.Synchronizable {
		if class.ThisDeviceOnly() {
			return itemErr("set", it, fmt.Errorf("%w: a %s item cannot be synchronizable", ErrInvalidOption, class))
		}
		return itemErr("set", it, it.v.setSynced(ctx, it.service, it.key, class, value, true))
	}
	err = it.v.set(ctx, it.service, it.key, class, value)
	if errors.Is(err, errSynced) {
		// The item is synchronizable (set checked it inside its commit): a
		// plain write takes it out of its group, with a tombstone.
		err = it.v.setSynced(ctx, it.service, it.key, class, value, false)
	}
	return itemErr("set", it, err)
}

// GetItem returns the value stored under key, or an error wrapping
// ErrNotFound when there is none (Expo's SecureStore returns null).
func (s *Store) GetItem(ctx context.Context, key string, opts *Options) (string, error) {
	v, err := s.get(ctx, key, opts, nil)
	if err != nil {
		return "", err
	}
	// The string is made over the buffer the value was decrypted into,
	// which nothing else references: the value exists once in memory, not
	// as a buffer and a copy of it that would then need wiping.
	return unsafe.String(unsafe.SliceData(v), len(v)), nil
}

// AppendItem is GetItem for a caller that keeps its own buffer: it
// appends the value stored under key to dst and returns the extended
// slice, with GetItem's errors (on an error, dst comes back unchanged).
//
// Two things differ from GetItem. A read into a buffer the caller reuses
// allocates nothing for the value, so it does not meet the garbage
// collector's occasional slow allocation (docs/BENCHMARKS.md, "The p99 of
// a warm read"). And the caller can wipe the value when it is done with
// it (clear(buf)), which a Go string never allows. A value the agent
// opens (RequireAuthentication, or a class this handle holds locked)
// arrives in the agent's reply first, which is wiped once copied.
func (s *Store) AppendItem(ctx context.Context, dst []byte, key string, opts *Options) ([]byte, error) {
	return s.get(ctx, key, opts, dst)
}

func (s *Store) get(ctx context.Context, key string, opts *Options, dst []byte) ([]byte, error) {
	it, done, err := s.op(ctx, "get", key, opts)
	if err != nil {
		return dst, err
	}
	defer done()
	if err := checkAuthOptions(opts); err != nil {
		return dst, itemErr("get", it, err)
	}
	v, err := it.v.get(withAuthAsk(ctx, opts), it.service, it.key, dst)
	return v, itemErr("get", it, err)
}

// DeleteItem removes the item stored under key. Deleting an item that does
// not exist succeeds. It returns nil only once the deletion is durable.
func (s *Store) DeleteItem(ctx context.Context, key string, opts *Options) error {
	it, done, err := s.op(ctx, "delete", key, opts)
	if err != nil {
		return err
	}
	defer done()
	err = it.v.delete(ctx, it.service, it.key)
	if errors.Is(err, errSynced) {
		// The item is synchronizable: its group gets a tombstone.
		err = it.v.deleteSynced(ctx, it.service, it.key)
	}
	return itemErr("delete", it, err)
}

// HasItem reports whether an item is stored under key. It never decrypts
// the value, so it works for items of every class while locked.
func (s *Store) HasItem(ctx context.Context, key string, opts *Options) (bool, error) {
	it, done, err := s.op(ctx, "has", key, opts)
	if err != nil {
		return false, err
	}
	defer done()
	ok, err := it.v.has(ctx, it.service, it.key)
	return ok, itemErr("has", it, err)
}

// Keys returns the keys of the items in one service, sorted. It reads
// names only, never values, so it works while locked.
func (s *Store) Keys(ctx context.Context, opts *Options) ([]string, error) {
	it, done, err := s.op(ctx, "keys", "", opts)
	if err != nil {
		return nil, err
	}
	defer done()
	keys, err := it.v.keys(ctx, it.service)
	if err != nil {
		return nil, fmt.Errorf("securestore: keys (service %q in %s): %w", it.service, it.v.describe(), err)
	}
	slices.Sort(keys)
	return keys, nil
}

// Close waits for operations in flight, then closes the store's databases
// and wipes its keys from memory. Later calls fail with ErrClosed; closing
// twice is not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var first error
	for _, v := range append([]*storeDB{s.own}, slices.Collect(maps.Values(s.groups))...) {
		if v == nil { // NoCreate and no own store
			continue
		}
		if err := v.close(); err != nil && first == nil {
			first = fmt.Errorf("securestore: close %s: %w", v.describe(), err)
		}
	}
	return first
}
