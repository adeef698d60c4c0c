package keyring99

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/keyring/keyname"
)

// DefaultApp is the securestore app that Open puts items in.
const DefaultApp = "99designs-keyring"

const (
	// DefaultMaxDataBytes is the largest Item.Data that Set accepts
	// unless StoreConfig.MaxDataBytes says otherwise.
	DefaultMaxDataBytes = 1 << 20
	// MaxDataBytesLimit caps StoreConfig.MaxDataBytes so that the
	// envelope (Data in base64, 4/3 as long, plus the other fields) fits
	// securestore's own cap on a value.
	MaxDataBytesLimit = 8 << 20
)

// DefaultTimeout bounds each call of a Store unless StoreConfig.Timeout
// says otherwise: the Keyring interface takes no context.
const DefaultTimeout = time.Minute

// StoreConfig says which securestore store and service hold the items.
type StoreConfig struct {
	// App is the securestore app; "" means DefaultApp.
	App string
	// Service is the keyring's name (99designs' Config.ServiceName); any
	// string, mapped by keyname.
	Service string
	// Dir and Protector are securestore.Config's ("" means its defaults).
	Dir       string
	Protector string
	// MaxDataBytes is the largest Item.Data Set accepts; 0 means
	// DefaultMaxDataBytes, at most MaxDataBytesLimit.
	MaxDataBytes int
	// Timeout bounds each call; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Store is a 99designs Keyring kept in a securestore store. It is safe for
// concurrent use, and many processes may use one store at once.
type Store struct {
	s       *securestore.Store
	opts    securestore.Options // the service
	maxData int
	timeout time.Duration
	now     func() time.Time
}

var _ Keyring = (*Store)(nil)

// Open is 99designs' Open: it returns a Keyring for cfg.ServiceName in
// DefaultApp, in securestore's default directory under its default
// protector. The other fields of cfg are for 99designs' backends and are
// ignored. The store stays open for the life of the process; use
// OpenStore for one that can be closed.
func Open(cfg Config) (Keyring, error) {
	s, err := OpenStore(StoreConfig{Service: cfg.ServiceName})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenStore opens the securestore store that cfg names, creating it if
// needed.
func OpenStore(cfg StoreConfig) (*Store, error) {
	if cfg.App == "" {
		cfg.App = DefaultApp
	}
	if cfg.MaxDataBytes == 0 {
		cfg.MaxDataBytes = DefaultMaxDataBytes
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxDataBytes < 0 || cfg.MaxDataBytes > MaxDataBytesLimit {
		return nil, fmt.Errorf("keyring99: %w: MaxDataBytes %d is outside 0..%d", securestore.ErrInvalidOption, cfg.MaxDataBytes, MaxDataBytesLimit)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("keyring99: %w: negative Timeout", securestore.ErrInvalidOption)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	s, err := securestore.Open(ctx, securestore.Config{
		App:       cfg.App,
		Dir:       cfg.Dir,
		Protector: cfg.Protector,
		// Data is limited by MaxDataBytes; the envelope only needs to fit.
		MaxValueBytes: securestore.MaxValueBytesLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("keyring99: %w", err)
	}
	return &Store{
		s:       s,
		opts:    securestore.Options{KeychainService: keyname.Encode(cfg.Service)},
		maxData: cfg.MaxDataBytes,
		timeout: cfg.Timeout,
		now:     time.Now,
	}, nil
}

// Close closes the underlying securestore store.
func (k *Store) Close() error { return k.s.Close() }

// Securestore returns the underlying store. Its keys and service are
// keyname encodings and its values are envelopes (see the package doc).
func (k *Store) Securestore() *securestore.Store { return k.s }

func (k *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), k.timeout)
}

// options returns the per-call options; a copy, so that nothing a call
// does to them reaches the Store.
func (k *Store) options() *securestore.Options {
	o := k.opts
	return &o
}

// Get returns the item stored under key, or ErrKeyNotFound.
func (k *Store) Get(key string) (Item, error) {
	ctx, cancel := k.ctx()
	defer cancel()
	v, err := k.s.GetItem(ctx, keyname.Encode(key), k.options())
	if errors.Is(err, securestore.ErrNotFound) {
		return Item{}, ErrKeyNotFound
	}
	if err != nil {
		return Item{}, err
	}
	item, _, err := open(key, v)
	return item, err
}

// GetMetadata returns the item stored under key without its Data, and the
// time it was set; ErrKeyNotFound if there is none, and
// ErrMetadataNeedsCredentials while the store is locked.
func (k *Store) GetMetadata(key string) (Metadata, error) {
	ctx, cancel := k.ctx()
	defer cancel()
	v, err := k.s.GetItem(ctx, keyname.Encode(key), k.options())
	switch {
	case errors.Is(err, securestore.ErrNotFound):
		return Metadata{}, ErrKeyNotFound
	case errors.Is(err, securestore.ErrLocked):
		return Metadata{}, ErrMetadataNeedsCredentials
	case err != nil:
		return Metadata{}, err
	}
	item, modified, err := open(key, v)
	if err != nil {
		return Metadata{}, err
	}
	clear(item.Data)
	item.Data = nil
	return Metadata{Item: &item, ModificationTime: modified}, nil
}

// Set stores item under item.Key, replacing any item stored there.
func (k *Store) Set(item Item) error {
	if len(item.Data) > k.maxData {
		return fmt.Errorf("keyring99: set: %w: Data is %d bytes, the limit is %d", securestore.ErrValueTooLarge, len(item.Data), k.maxData)
	}
	value, err := seal(item, k.now())
	if err != nil {
		return err
	}
	opts := k.options()
	if item.KeychainNotSynchronizable {
		opts.KeychainAccessible = securestore.WhenUnlockedThisDeviceOnly
	}
	ctx, cancel := k.ctx()
	defer cancel()
	return k.s.SetItem(ctx, keyname.Encode(item.Key), value, opts)
}

// Remove deletes the item stored under key, or returns ErrKeyNotFound.
// (securestore's DeleteItem succeeds for a missing item, hence the check
// first; two processes removing one item at once may both succeed.)
func (k *Store) Remove(key string) error {
	ctx, cancel := k.ctx()
	defer cancel()
	name, opts := keyname.Encode(key), k.options()
	ok, err := k.s.HasItem(ctx, name, opts)
	if err != nil {
		return err
	}
	if !ok {
		return ErrKeyNotFound
	}
	return k.s.DeleteItem(ctx, name, opts)
}

// Keys returns the keys of the service's items, sorted. Keys that are no
// keyname encoding (written by other means) are left out.
func (k *Store) Keys() ([]string, error) {
	ctx, cancel := k.ctx()
	defer cancel()
	names, err := k.s.Keys(ctx, k.options())
	if err != nil {
		return nil, err
	}
	keys := []string{}
	for _, name := range names {
		if key, err := keyname.Decode(name); err == nil {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}
