package keyring

import (
	"errors"
	"sync"

	"github.com/securestore-go/securestore"
)

// Keyring provides a simple set/get interface for a keyring service. It is
// go-keyring's interface; *Store implements it.
type Keyring interface {
	// Set password in keyring for user.
	Set(service, user, password string) error
	// Get password from keyring given service and user name.
	Get(service, user string) (string, error)
	// Delete secret from keyring.
	Delete(service, user string) error
	// DeleteAll deletes all secrets for a given service
	DeleteAll(service string) error
	// ListUsers returns a list of all users for a given service
	ListUsers(service string) ([]string, error)
}

var (
	// ErrNotFound is the expected error if the secret isn't found in the
	// keyring. It is returned as is (compare with ==, as go-keyring's
	// users do) and also matches securestore.ErrNotFound under errors.Is.
	ErrNotFound error = &sentinel{"secret not found in keyring", securestore.ErrNotFound}
	// ErrSetDataTooBig is returned if Set was called with a password
	// longer than the store's limit (DefaultMaxPasswordBytes unless
	// Config.MaxPasswordBytes says otherwise). It also matches
	// securestore.ErrValueTooLarge under errors.Is.
	ErrSetDataTooBig error = &sentinel{"data passed to Set was too big", securestore.ErrValueTooLarge}
	// ErrUnsupportedPlatform is go-keyring's error for a platform without
	// a keyring. securestore works everywhere Go does, so this package
	// never returns it; it exists so that code naming it still compiles.
	ErrUnsupportedPlatform = errors.New("unsupported platform")
)

// sentinel is an error value that also matches a securestore sentinel, so
// that both go-keyring's err == ErrNotFound and errors.Is(err,
// securestore.ErrNotFound) hold.
type sentinel struct {
	msg  string
	also error
}

func (e *sentinel) Error() string        { return e.msg }
func (e *sentinel) Is(target error) bool { return target == e.also }

// The package-level functions use provider when it is set (a mock), else
// the default store, opened on first use with defaultConfig.
var (
	mu            sync.Mutex
	provider      Keyring
	defaultConfig Config
	defaultStore  *Store
)

// current returns what the package-level functions use now.
func current() (Keyring, error) {
	mu.Lock()
	defer mu.Unlock()
	if provider != nil {
		return provider, nil
	}
	if defaultStore == nil {
		// Not kept on failure: the next call tries again, so a store that
		// could not be opened (a locked keyring, a full disk) recovers.
		s, err := Open(defaultConfig)
		if err != nil {
			return nil, err
		}
		defaultStore = s
	}
	return defaultStore, nil
}

// Configure sets the store that the package-level functions use from now
// on (the zero Config is the default), closing the one they used before.
// It does not end a mock: call MockRestore for that.
func Configure(cfg Config) error {
	mu.Lock()
	defer mu.Unlock()
	defaultConfig = cfg
	if defaultStore == nil {
		return nil
	}
	err := defaultStore.Close()
	defaultStore = nil
	return err
}

// Set password in keyring for user.
func Set(service, user, password string) error {
	k, err := current()
	if err != nil {
		return err
	}
	return k.Set(service, user, password)
}

// Get password from keyring given service and user name.
func Get(service, user string) (string, error) {
	k, err := current()
	if err != nil {
		return "", err
	}
	return k.Get(service, user)
}

// Delete secret from keyring.
func Delete(service, user string) error {
	k, err := current()
	if err != nil {
		return err
	}
	return k.Delete(service, user)
}

// DeleteAll deletes all secrets for a given service
func DeleteAll(service string) error {
	k, err := current()
	if err != nil {
		return err
	}
	return k.DeleteAll(service)
}

// ListUsers returns a list of all users for a given service
func ListUsers(service string) ([]string, error) {
	k, err := current()
	if err != nil {
		return nil, err
	}
	return k.ListUsers(service)
}
