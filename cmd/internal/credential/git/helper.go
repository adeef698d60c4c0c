package git

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
)

// Helper answers git's get, store and erase from one securestore store.
type Helper struct {
	Items *securestore.Store // the open store of App
	// MaxValueBytes is the largest item Store writes: the Config's
	// MaxValueBytes of Items (0 means securestore.DefaultMaxValueBytes).
	MaxValueBytes int
	App           string           // the app of Items, for messages
	Now           func() time.Time // the clock; nil means time.Now
}

func (h *Helper) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

var options = &securestore.Options{KeychainService: Service}

// stored is an entry and its item key.
type stored struct {
	key string
	Entry
}

// find returns the stored entries that match want. It reads only the
// items whose key prefix want's protocol and host allow. A locked item
// fails the search: the credential git wants might be the locked one,
// and a helper must not answer as if it were absent.
func (h *Helper) find(ctx context.Context, want *Credential, matchPassword bool) ([]stored, error) {
	keys, err := h.Items.Keys(ctx, options)
	if err != nil {
		return nil, h.wrap(err)
	}
	prefix := ""
	if want.Protocol.Present {
		prefix = credential.KeyPart(want.Protocol.Value) + "_"
		if want.Host.Present {
			prefix = keyPrefix(want.Protocol.Value, want.Host.Value)
		}
	}
	var found []stored
	for _, key := range keys {
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		value, err := h.Items.GetItem(ctx, key, options)
		if errors.Is(err, securestore.ErrNotFound) {
			continue // erased by another process since Keys
		}
		if err != nil {
			return nil, h.wrap(err)
		}
		e, err := DecodeEntry(value)
		if err != nil {
			return nil, fmt.Errorf("item %q of service %q in app %q: %w (delete it with 'securestore --app %s --service %s delete %s')",
				key, Service, h.App, err, h.App, Service, key)
		}
		if want.Matches(&e.Credential, matchPassword) {
			found = append(found, stored{key, e})
		}
	}
	return found, nil
}

// wrap turns a locked store into the helpers' locked message.
func (h *Helper) wrap(err error) error {
	if credential.IsLocked(err) {
		return &credential.LockedError{App: h.App, Err: err}
	}
	return err
}

// Get writes the best match for want to w, or nothing when none matches.
func (h *Helper) Get(ctx context.Context, want *Credential, w io.Writer) error {
	if !want.Protocol.Present || !want.Host.Present && !want.Path.Present {
		// A request that names no protocol, or no host nor path, would
		// match every credential; git's own helpers answer it with
		// nothing since CVE-2020-11008, where a crafted URL made git ask
		// just that and send the answer to another host.
		return nil
	}
	found, err := h.find(ctx, want, false)
	if err != nil || len(found) == 0 {
		return err
	}
	now := h.now()
	slices.SortFunc(found, func(a, b stored) int {
		// Unexpired first, then the most recently stored, then by key
		// so that the answer never depends on the store's order.
		if ea, eb := a.Expired(now), b.Expired(now); ea != eb {
			if ea {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(b.StoredAt, a.StoredAt); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	return WriteResponse(w, &found[0].Credential, now.Unix())
}

// Store stores c, replacing every stored credential that c matches as a
// request. A credential without protocol, host or path, username or
// password, or whose password has expired, is not stored, and that is no
// error (git's helpers do the same). The new item is durable before any
// old one is deleted, so a crash in between leaves the old ones next to
// the new, which get prefers.
func (h *Helper) Store(ctx context.Context, c *Credential) error {
	now := h.now()
	if !c.Storable() || c.Expired(now) {
		return nil
	}
	e := Entry{Credential: *c, StoredAt: now.UnixNano()}
	value := e.Encode()
	if err := credential.CheckSize(c.Describe(), value, h.MaxValueBytes); err != nil {
		return err
	}
	replaced, err := h.find(ctx, c, false)
	if err != nil {
		return err
	}
	key := Key(c)
	if err := h.Items.SetItem(ctx, key, value, options); err != nil {
		return h.wrap(err)
	}
	for _, old := range replaced {
		if old.key == key {
			continue
		}
		if err := h.Items.DeleteItem(ctx, old.key, options); err != nil {
			return h.wrap(err)
		}
	}
	return nil
}

// Erase deletes every stored credential that matches want, comparing
// passwords too when want has one. A request with none of protocol,
// host, path and username erases nothing.
func (h *Helper) Erase(ctx context.Context, want *Credential) error {
	if !want.Protocol.Present && !want.Host.Present && !want.Path.Present && !want.Username.Present {
		return nil
	}
	found, err := h.find(ctx, want, want.Password.Present)
	if err != nil {
		return err
	}
	for _, s := range found {
		if err := h.Items.DeleteItem(ctx, s.key, options); err != nil {
			return h.wrap(err)
		}
	}
	return nil
}
