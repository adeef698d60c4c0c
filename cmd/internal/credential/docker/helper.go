package docker

import (
	"context"
	"errors"
	"fmt"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
)

// Helper answers docker's store, get, erase and list from one store.
type Helper struct {
	Items *securestore.Store // the open store of App
	// MaxValueBytes is the largest item Store writes: the Config's
	// MaxValueBytes of Items (0 means securestore.DefaultMaxValueBytes).
	MaxValueBytes int
}

var options = &securestore.Options{KeychainService: Service}

// wrap turns a locked store into the helpers' locked message.
func wrap(err error) error {
	if credential.IsLocked(err) {
		return &credential.LockedError{App: App, Err: err}
	}
	return err
}

// Store stores c under its registry, replacing what was there. It returns
// only once the item is durable.
func (h *Helper) Store(ctx context.Context, c Credentials) error {
	r, err := ParseServerURL(c.ServerURL)
	if err != nil {
		return err
	}
	value := Encode(c)
	if err := credential.CheckSize(r.String(), value, h.MaxValueBytes); err != nil {
		return err
	}
	return wrap(h.Items.SetItem(ctx, Key(r), value, options))
}

// Get returns the credentials of serverURL's registry, with ServerURL as
// asked (docker-credential-helpers answer so), or ErrNotFound.
func (h *Helper) Get(ctx context.Context, serverURL string) (Credentials, error) {
	r, err := ParseServerURL(serverURL)
	if err != nil {
		return Credentials{}, err
	}
	c, err := h.read(ctx, Key(r))
	if err != nil {
		return Credentials{}, err
	}
	c.ServerURL = serverURL
	return c, nil
}

// read returns the credentials stored under key.
func (h *Helper) read(ctx context.Context, key string) (Credentials, error) {
	value, err := h.Items.GetItem(ctx, key, options)
	if errors.Is(err, securestore.ErrNotFound) {
		return Credentials{}, ErrNotFound
	}
	if err != nil {
		return Credentials{}, wrap(err)
	}
	c, err := Decode(value)
	if err != nil {
		return Credentials{}, fmt.Errorf("item %q of service %q in app %q: %w (delete it with 'securestore --app %s --service %s delete %s')",
			key, Service, App, err, App, Service, key)
	}
	return c, nil
}

// Erase deletes the credentials of serverURL's registry. Erasing what is
// not stored succeeds, as docker logout expects: it erases several
// spellings of one server.
func (h *Helper) Erase(ctx context.Context, serverURL string) error {
	r, err := ParseServerURL(serverURL)
	if err != nil {
		return err
	}
	return wrap(h.Items.DeleteItem(ctx, Key(r), options))
}

// List returns every stored server URL with its username.
func (h *Helper) List(ctx context.Context) (map[string]string, error) {
	keys, err := h.Items.Keys(ctx, options)
	if err != nil {
		return nil, wrap(err)
	}
	list := map[string]string{}
	for _, key := range keys {
		c, err := h.read(ctx, key)
		if errors.Is(err, ErrNotFound) {
			continue // erased since Keys
		}
		if err != nil {
			return nil, err
		}
		list[c.ServerURL] = c.Username
	}
	return list, nil
}
