package oauth2store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/securestore-go/securestore"
	"golang.org/x/oauth2"
)

// Errors of this package; test with errors.Is. Errors of the store
// (securestore.ErrValueTooLarge, ErrLocked, ...) and of the token
// endpoint (*oauth2.RetrieveError, through errors.As) are wrapped as they
// come. No error holds a token.
var (
	// ErrNoToken: the store holds no token that can be used or refreshed
	// (none yet, or an expired one without a refresh token), and the
	// source has no other way to get one. Log the user in and Save the
	// token.
	ErrNoToken = errors.New("no usable token is stored; log in first")
	// ErrBadToken: the item holds something this package did not write
	// (or a newer version of it). It is left as it is.
	ErrBadToken = errBadValue
)

// Options tune a TokenSource. A nil *Options means every default.
type Options struct {
	// Item is the service, accessibility class and access group of the
	// token's item, as for Store.SetItem. nil means the defaults.
	Item *securestore.Options
	// LockDir is where the lock file that serialises refreshes between
	// processes lives: give it the Config.Dir the store was opened with.
	// "" means what Open uses then: $SECURESTORE_DIR, else
	// securestore.DefaultDir(). Every process sharing the token must
	// agree on it.
	LockDir string
	// ExpiryDelta is how long before its expiry a token counts as expired,
	// as for oauth2.ReuseTokenSourceWithExpiry. 0 means oauth2's default,
	// 10 seconds.
	ExpiryDelta time.Duration
	// Timeout bounds one refresh: waiting for the lock, the store calls
	// and the token request. 0 means one minute.
	Timeout time.Duration
	// KeepExtra names the extra fields of the token response (see
	// oauth2.Token.Extra) to store with the token, e.g. "id_token" or
	// "scope". oauth2.Token cannot serialise them itself, so by default
	// none is kept and a token read from the store has none. Numbers come
	// back as float64.
	KeepExtra []string
}

const (
	defaultExpiryDelta = 10 * time.Second // oauth2's defaultExpiryDelta
	defaultTimeout     = time.Minute
)

// refreshFunc gets a new token; old is the stored token, nil if none.
type refreshFunc func(ctx context.Context, old *oauth2.Token) (*oauth2.Token, error)

// TokenSource is an oauth2.TokenSource whose token lives in a store: it
// returns the stored token while it is valid, and otherwise refreshes it
// and writes the new token back before returning it. It is safe for
// concurrent use, and any number of TokenSources, in this process or
// others, may share one stored token: one of them refreshes and the others
// read what it wrote.
type TokenSource struct {
	ctx     context.Context
	store   *securestore.Store
	key     string
	refresh refreshFunc
	opts    Options
	lock    string // lock file path; "" until the first refresh resolves it

	mu     sync.Mutex // serialises Token, Save and Delete; guards cached
	cached *oauth2.Token
}

// New returns a TokenSource for the token conf's flow obtains, stored in s
// under key. It refreshes with the stored token's refresh token through
// conf.TokenSource, as conf.Client would, so a refresh token the server
// rotates is stored with the access token. ctx is used for the store and
// for the token requests, as by conf.TokenSource; an *http.Client in it
// (oauth2.HTTPClient) sends them.
//
// Until a token is stored, Token returns ErrNoToken: log the user in
// (conf.Exchange, or a device flow) and Save the token.
func New(ctx context.Context, s *securestore.Store, key string, conf *oauth2.Config, opts *Options) *TokenSource {
	refresh := func(ctx context.Context, old *oauth2.Token) (*oauth2.Token, error) {
		if old == nil || old.RefreshToken == "" {
			return nil, ErrNoToken
		}
		// A fresh source seeded with the refresh token alone (no access
		// token, so it is not valid) refreshes on its first call, with
		// this call's deadline.
		return conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old.RefreshToken}).Token()
	}
	return newSource(ctx, s, key, refresh, opts)
}

// Wrap returns a TokenSource that keeps in s, under key, the tokens src
// returns, and asks src for a new one only when the stored one has
// expired. Use it for flows that need no refresh token (client
// credentials, a service account's JWT) or keep their own; src sees
// nothing of the stored token. For a token from an oauth2.Config, use New.
func Wrap(ctx context.Context, s *securestore.Store, key string, src oauth2.TokenSource, opts *Options) *TokenSource {
	refresh := func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return src.Token() }
	return newSource(ctx, s, key, refresh, opts)
}

func newSource(ctx context.Context, s *securestore.Store, key string, refresh refreshFunc, opts *Options) *TokenSource {
	ts := &TokenSource{ctx: ctx, store: s, key: key, refresh: refresh}
	if opts != nil {
		ts.opts = *opts
	}
	if ts.opts.ExpiryDelta == 0 {
		ts.opts.ExpiryDelta = defaultExpiryDelta
	}
	if ts.opts.Timeout == 0 {
		ts.opts.Timeout = defaultTimeout
	}
	return ts
}

// Token returns a valid token: the one this source returned last, else
// the stored one, else a new one from a refresh, which is stored (durably)
// before Token returns it.
func (ts *TokenSource) Token() (*oauth2.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.valid(ts.cached) {
		return ts.cached, nil
	}
	ctx, cancel := context.WithTimeout(ts.ctx, ts.opts.Timeout)
	defer cancel()

	// Another process may have refreshed since: read before locking, so
	// that the common case (a valid stored token) takes no lock.
	t, err := ts.load(ctx)
	if err != nil || ts.valid(t) {
		return ts.keep(t, err)
	}

	err = ts.locked(ctx, func() error {
		// Whoever held the lock before may have refreshed: read again.
		if t, err = ts.load(ctx); err != nil || ts.valid(t) {
			return err
		}
		old := t
		if t, err = ts.refresh(ctx, old); err != nil {
			return ts.refreshErr(err)
		}
		if t == nil || t.AccessToken == "" {
			return fmt.Errorf("oauth2store: refresh %q: the source returned no access token", ts.key)
		}
		if t.RefreshToken == "" && old != nil {
			// Servers that do not rotate refresh tokens leave it out;
			// x/oauth2 keeps the old one then, and so do we (in a copy:
			// the source may hold on to the token it returned).
			c := *t
			c.RefreshToken = old.RefreshToken
			t = &c
		}
		return ts.save(ctx, t)
	})
	return ts.keep(t, err)
}

// Save stores t, e.g. the token a login returned, replacing the stored
// one. It is durable when Save returns.
func (ts *TokenSource) Save(t *oauth2.Token) error {
	if t == nil || t.AccessToken == "" {
		return fmt.Errorf("oauth2store: save %q: the token has no access token", ts.key)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ctx, cancel := context.WithTimeout(ts.ctx, ts.opts.Timeout)
	defer cancel()
	err := ts.locked(ctx, func() error { return ts.save(ctx, t) })
	_, err = ts.keep(t, err)
	return err
}

// Delete removes the stored token (a logout); Token then returns
// ErrNoToken, or whatever a Wrap source gets next. Deleting a token that
// is not there is no error.
func (ts *TokenSource) Delete() error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.cached = nil
	ctx, cancel := context.WithTimeout(ts.ctx, ts.opts.Timeout)
	defer cancel()
	return ts.locked(ctx, func() error {
		err := ts.store.DeleteItem(ctx, ts.key, ts.opts.Item)
		if err != nil && !errors.Is(err, securestore.ErrNotFound) {
			return fmt.Errorf("oauth2store: delete %q: %w", ts.key, err)
		}
		return nil
	})
}

// valid is oauth2.Token.Valid with this source's expiry delta.
func (ts *TokenSource) valid(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || time.Now().Add(ts.opts.ExpiryDelta).Before(t.Expiry.Round(0))
}

// keep remembers t when err is nil, and returns them.
func (ts *TokenSource) keep(t *oauth2.Token, err error) (*oauth2.Token, error) {
	if err != nil {
		return nil, err
	}
	ts.cached = t
	return t, nil
}

// load reads the stored token; nil, nil when there is none.
func (ts *TokenSource) load(ctx context.Context) (*oauth2.Token, error) {
	v, err := ts.store.GetItem(ctx, ts.key, ts.opts.Item)
	if errors.Is(err, securestore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("oauth2store: read %q: %w", ts.key, err)
	}
	t, err := decode(v)
	if err != nil {
		return nil, fmt.Errorf("oauth2store: read %q: %w", ts.key, err)
	}
	return t, nil
}

func (ts *TokenSource) save(ctx context.Context, t *oauth2.Token) error {
	v, err := encode(t, ts.opts.KeepExtra)
	if err != nil {
		return fmt.Errorf("oauth2store: save %q: %w", ts.key, err)
	}
	if err := ts.store.SetItem(ctx, ts.key, v, ts.opts.Item); err != nil {
		if errors.Is(err, securestore.ErrValueTooLarge) {
			return fmt.Errorf("oauth2store: save %q: the token takes %d bytes once encoded; open the store with a larger securestore.Config.MaxValueBytes: %w",
				ts.key, len(v), err)
		}
		return fmt.Errorf("oauth2store: save %q: %w", ts.key, err)
	}
	return nil
}

// locked runs f holding the item's lock file.
func (ts *TokenSource) locked(ctx context.Context, f func() error) error {
	if ts.lock == "" {
		dir, err := lockDir(ts.opts.LockDir)
		if err != nil {
			return fmt.Errorf("oauth2store: %q: %w", ts.key, err)
		}
		ts.lock = lockPath(dir, ts.key, ts.opts.Item)
	}
	l, err := lock(ctx, ts.lock)
	if err != nil {
		return fmt.Errorf("oauth2store: %q: %w", ts.key, err)
	}
	err = f()
	if uerr := l.unlock(); err == nil && uerr != nil {
		err = fmt.Errorf("oauth2store: %q: unlock: %w", ts.key, uerr)
	}
	return err
}

// refreshErr wraps an error of the refresh. An *oauth2.RetrieveError
// prints the token endpoint's response body, which a server may fill with
// what it was sent (the refresh token); its message is replaced by the
// status and the RFC 6749 error code, and errors.As still finds it.
func (ts *TokenSource) refreshErr(err error) error {
	if errors.Is(err, ErrNoToken) {
		return fmt.Errorf("oauth2store: %q: %w", ts.key, err)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Errorf("oauth2store: refresh %q: %w", ts.key, retrieveError{re})
	}
	return fmt.Errorf("oauth2store: refresh %q: %w", ts.key, err)
}

// retrieveError is an *oauth2.RetrieveError without the response body.
type retrieveError struct{ err *oauth2.RetrieveError }

func (e retrieveError) Error() string {
	msg := "the token endpoint refused"
	if e.err.Response != nil {
		msg += " with " + e.err.Response.Status
	}
	if e.err.ErrorCode != "" {
		msg += fmt.Sprintf(": %q", e.err.ErrorCode)
	}
	return msg
}

func (e retrieveError) Unwrap() error { return e.err }
