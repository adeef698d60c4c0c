package keyring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/keyring/keyname"
)

// DefaultApp is the securestore app that holds go-keyring's items unless
// Config.App says otherwise: one app for every program, as go-keyring's
// items are one keyring shared by service name.
const DefaultApp = "go-keyring"

// DefaultMaxPasswordBytes is the largest password Set accepts unless
// Config.MaxPasswordBytes says otherwise: large enough for anything
// go-keyring stored on Linux, where it has no limit (its docs warn that
// the Secret Service slows down above 100 KiB).
const DefaultMaxPasswordBytes = 1 << 20

// DefaultTimeout bounds each call of a Store unless Config.Timeout says
// otherwise. go-keyring's functions take no context, so this is their
// deadline.
const DefaultTimeout = time.Minute

// Config says which securestore store holds the items. The zero value is
// the default: DefaultApp in securestore's default directory, under its
// default protector.
type Config struct {
	// App is the securestore app ("" means DefaultApp); securestore's name
	// rule applies (A-Z a-z 0-9 . _ -).
	App string
	// Dir and Protector are securestore.Config's: "" means
	// $SECURESTORE_DIR (else securestore.DefaultDir()) and
	// $SECURESTORE_PROTECTOR (else "auto").
	Dir       string
	Protector string
	// MaxPasswordBytes is the largest password Set accepts, in bytes; a
	// longer one gets ErrSetDataTooBig. 0 means DefaultMaxPasswordBytes;
	// at most securestore.MaxValueBytesLimit.
	MaxPasswordBytes int
	// Timeout bounds each call. 0 means DefaultTimeout.
	Timeout time.Duration
}

// Store is a go-keyring Keyring kept in a securestore store. It is safe
// for concurrent use, and many processes may use the same store at once.
type Store struct {
	s       *securestore.Store
	timeout time.Duration
}

var _ Keyring = (*Store)(nil)

// Open opens the securestore store that cfg names, creating it if needed.
// The package-level functions open one on first use; Open is for a program
// that wants its own (another app, a test directory) or wants to close it.
func Open(cfg Config) (*Store, error) {
	if cfg.App == "" {
		cfg.App = DefaultApp
	}
	if cfg.MaxPasswordBytes == 0 {
		cfg.MaxPasswordBytes = DefaultMaxPasswordBytes
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("keyring: %w: negative Timeout", securestore.ErrInvalidOption)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	s, err := securestore.Open(ctx, securestore.Config{
		App:           cfg.App,
		Dir:           cfg.Dir,
		Protector:     cfg.Protector,
		MaxValueBytes: cfg.MaxPasswordBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return &Store{s: s, timeout: cfg.Timeout}, nil
}

// Close closes the underlying securestore store.
func (k *Store) Close() error { return k.s.Close() }

// Securestore returns the underlying store, for what go-keyring's API
// cannot say (accessibility classes, passcodes). Its keys and services are
// keyname encodings.
func (k *Store) Securestore() *securestore.Store { return k.s }

func (k *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), k.timeout)
}

func inService(name string) *securestore.Options {
	return &securestore.Options{KeychainService: keyname.Encode(name)}
}

// mapErr turns securestore's sentinels into go-keyring's, returned as
// themselves so that == works; other errors pass through.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, securestore.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, securestore.ErrValueTooLarge):
		return ErrSetDataTooBig
	}
	return err
}

// Set stores password for user under service, replacing any password
// stored there before.
func (k *Store) Set(service, user, password string) error {
	ctx, cancel := k.ctx()
	defer cancel()
	return mapErr(k.s.SetItem(ctx, keyname.Encode(user), password, inService(service)))
}

// Get returns the password of user under service, or ErrNotFound.
func (k *Store) Get(service, user string) (string, error) {
	ctx, cancel := k.ctx()
	defer cancel()
	v, err := k.s.GetItem(ctx, keyname.Encode(user), inService(service))
	return v, mapErr(err)
}

// Delete deletes the password of user under service, or returns
// ErrNotFound if there is none. (securestore's DeleteItem succeeds for a
// missing item; go-keyring's Delete does not, hence the check first. Two
// processes deleting the same item at once may therefore both succeed.)
func (k *Store) Delete(service, user string) error {
	ctx, cancel := k.ctx()
	defer cancel()
	key, opts := keyname.Encode(user), inService(service)
	ok, err := k.s.HasItem(ctx, key, opts)
	if err != nil {
		return mapErr(err)
	}
	if !ok {
		return ErrNotFound
	}
	return mapErr(k.s.DeleteItem(ctx, key, opts))
}

// DeleteAll deletes every item of service. An empty service deletes
// nothing and returns ErrNotFound, as go-keyring does, so that a missing
// name never empties the keyring.
func (k *Store) DeleteAll(service string) error {
	if service == "" {
		return ErrNotFound
	}
	ctx, cancel := k.ctx()
	defer cancel()
	opts := inService(service)
	keys, err := k.s.Keys(ctx, opts)
	if err != nil {
		return mapErr(err)
	}
	for _, key := range keys {
		if err := k.s.DeleteItem(ctx, key, opts); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// ListUsers returns the users of service, sorted; an empty service has
// none. Like go-keyring's backends it leaves out the empty user name.
func (k *Store) ListUsers(service string) ([]string, error) {
	users := []string{}
	if service == "" {
		return users, nil
	}
	ctx, cancel := k.ctx()
	defer cancel()
	keys, err := k.s.Keys(ctx, inService(service))
	if err != nil {
		return nil, mapErr(err)
	}
	for _, key := range keys {
		// A key that is no encoding was not set through this package.
		if user, err := keyname.Decode(key); err == nil && user != "" {
			users = append(users, user)
		}
	}
	slices.Sort(users) // the encoding does not keep the order
	return users, nil
}
