// Package oauth2store keeps OAuth 2.0 tokens in a securestore Store, so
// that a command-line program logs in once and stays logged in across
// runs, however many copies of it run at once.
//
// A TokenSource is an oauth2.TokenSource: hand it to oauth2.NewClient.
// It returns the stored token while it is valid; when it has expired, it
// refreshes it and writes the new token (with a rotated refresh token, if
// the server rotates them) back to the store before returning it.
//
//	s, err := securestore.Open(ctx, securestore.Config{App: "com.example.cli", MaxValueBytes: 8192})
//	ts := oauth2store.New(ctx, s, "token", conf, nil)
//	if _, err := ts.Token(); errors.Is(err, oauth2store.ErrNoToken) {
//		tok, err := conf.Exchange(ctx, code) // or a device flow: log in
//		err = ts.Save(tok)
//	}
//	client := oauth2.NewClient(ctx, ts)
//
// Use New for a token from an oauth2.Config (it refreshes with the stored
// refresh token), and Wrap for any other oauth2.TokenSource, such as a
// client-credentials one.
//
// # Several processes
//
// Refresh tokens are often single-use: two processes that refresh with the
// same one can leave each other, or both, logged out. So a refresh holds an
// advisory lock on a file next to the store (flock on Unix, LockFileEx on
// Windows; Options.LockDir), reads the stored token again once it has the
// lock, and refreshes only if that one has expired too. Of processes that
// find the token expired at the same time, one refreshes and the others
// read its token. Within a process, a TokenSource serialises its callers.
//
// # Size
//
// A store's values are limited to securestore.Config.MaxValueBytes, 2048
// bytes by default. Tokens are often larger (a JWT access token and a
// refresh token together easily pass 2 KiB, and an id_token kept with
// Options.KeepExtra doubles that): open the store with a larger
// MaxValueBytes, such as 8192. A token that does not fit is refused with an
// error that wraps securestore.ErrValueTooLarge and says how many bytes it
// needs; the stored token is left as it was. If the server rotates
// refresh tokens, the refresh that produced the token has spent the stored
// refresh token, so the user logs in again once the limit is raised: size
// the limit before the first login.
//
// # What is stored
//
// The item holds JSON of the token's access token, type, refresh token and
// expiry. oauth2.Token keeps the server's extra response fields where JSON
// cannot see them; Options.KeepExtra names those to keep. No error of this
// package holds a token: a token endpoint's refusal is reported by status
// and RFC 6749 error code, without the response body.
package oauth2store
