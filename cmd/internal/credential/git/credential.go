// Package git implements the git credential helper protocol over a
// securestore store: parsing git's key=value requests, git's URL form of a
// credential (as in ~/.git-credentials), the matching rules of git's own
// helpers, and the items that hold the credentials.
//
// # Semantics
//
// The helper behaves as git credential-store does, with git ≥ 2.41's
// additions:
//
//   - get returns a stored credential that matches the request: every one
//     of protocol, host (with its port), path and username that the
//     request gives must be stored, with the same value; what the request
//     leaves out matches anything. An empty username is a username. With
//     several matches (several users of one host, and no username asked
//     for) the most recently stored wins, as in credential-store, whose
//     store puts the new line first; a match whose password has expired
//     comes after every unexpired one.
//   - store needs protocol, host (or path), username and password, as
//     credential-store does; without them it stores nothing and succeeds.
//     It replaces every stored credential that the new one matches as a
//     request (the same protocol, host and username, and the same path if
//     it has one), so a changed password never leaves the old one behind.
//     A credential whose password_expiry_utc has passed is not stored.
//   - erase removes every stored credential that matches the request, and
//     when the request has a password, only those with that password (git
//     ≥ 2.41: rejecting a stale password must not erase a newer one). A
//     request with none of protocol, host, path and username erases
//     nothing: an empty request is too easy to send by mistake.
//   - password_expiry_utc and oauth_refresh_token are kept and returned
//     by get. An expired password is not returned (nor its expiry); the
//     username and refresh token still are, so that a helper later in
//     the chain can refresh the token.
//   - Unknown attributes are ignored; "url" is parsed as git does.
package git

import (
	"strconv"
	"strings"
	"time"
)

// Attr is one attribute of a credential. Git tells an absent attribute
// from an empty one ("username=" is the empty username), so Attr does too.
type Attr struct {
	Value   string
	Present bool
}

// Set returns a present attribute with value v.
func Set(v string) Attr { return Attr{Value: v, Present: true} }

// Credential is what git and its helpers exchange: the attributes that
// identify a credential (protocol, host, path, username), the secrets
// (password, refresh token) and the password's expiry.
type Credential struct {
	Protocol, Host, Path, Username, Password Attr
	// PasswordExpiry is password_expiry_utc: Unix seconds after which
	// the password is no longer valid. 0 means it does not expire.
	PasswordExpiry int64
	// RefreshToken is oauth_refresh_token; "" means none.
	RefreshToken string
}

// Expired reports whether c's password has expired at now.
func (c *Credential) Expired(now time.Time) bool {
	return c.PasswordExpiry != 0 && c.PasswordExpiry <= now.Unix()
}

// Matches reports whether the stored credential have matches the request
// want: each of want's protocol, host, path and username that is present
// must be present in have with the same value; with matchPassword, the
// password too. This is git's credential_match.
func (want *Credential) Matches(have *Credential, matchPassword bool) bool {
	check := func(w, h Attr) bool { return !w.Present || h.Present && w.Value == h.Value }
	return check(want.Protocol, have.Protocol) &&
		check(want.Host, have.Host) &&
		check(want.Path, have.Path) &&
		check(want.Username, have.Username) &&
		(!matchPassword || check(want.Password, have.Password))
}

// Storable reports whether c has what store needs: a protocol, a host or
// a path, a username and a password (credential-store's rule).
func (c *Credential) Storable() bool {
	return c.Protocol.Present && (c.Host.Present || c.Path.Present) && c.Username.Present && c.Password.Present
}

// Describe names c for messages without any secret or username:
// "https://github.com", "https://example.com/org/repo.git".
func (c *Credential) Describe() string {
	var b strings.Builder
	b.WriteString(c.Protocol.Value)
	b.WriteString("://")
	b.WriteString(c.Host.Value)
	if c.Path.Present {
		b.WriteString("/")
		b.WriteString(c.Path.Value)
	}
	return b.String()
}

// expiryString is the password_expiry_utc attribute's value.
func expiryString(t int64) string { return strconv.FormatInt(t, 10) }
