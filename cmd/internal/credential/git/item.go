package git

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/securestore-go/securestore/cmd/internal/credential"
)

// Where the helper keeps credentials: app "git-credential" unless the
// helper is given --app, service "git".
const (
	DefaultApp = "git-credential"
	Service    = "git"
)

// Items
//
// Each stored credential is one item. Its key is
//
//	<protocol>_<host>_<digest>
//
// where protocol and host are credential.KeyPart of the attributes (e.g.
// "https_github.com_…", "https_example.com-8443_…" for example.com:8443)
// and digest is credential.Digest of the identity: which of host and path
// are present, protocol, host, path and username. So storing the same
// identity again replaces the item, and a request that gives protocol and
// host needs to read only the items with that prefix.
//
// Its value (credential.EncodeFields, tag "git1") holds, in order:
// presence flags ("h" host present, "p" path present), protocol, host,
// path, username, password, password_expiry_utc ("" for none),
// oauth_refresh_token, and the time it was stored in Unix nanoseconds,
// which orders several matches.

const valueTag = "git1"

// Entry is a stored credential.
type Entry struct {
	Credential
	StoredAt int64 // Unix nanoseconds
}

// Key is the item key of credentials with c's identity.
func Key(c *Credential) string {
	return keyPrefix(c.Protocol.Value, c.Host.Value) +
		credential.Digest("gitkey1", presence(c), c.Protocol.Value, c.Host.Value, c.Path.Value, c.Username.Value)
}

// keyPrefix is the part of the key that protocol and host make.
func keyPrefix(protocol, host string) string {
	return credential.KeyPart(protocol) + "_" + credential.KeyPart(host) + "_"
}

func presence(c *Credential) string {
	var flags string
	if c.Host.Present {
		flags += "h"
	}
	if c.Path.Present {
		flags += "p"
	}
	return flags
}

// Encode is e's item value.
func (e *Entry) Encode() string {
	expiry := ""
	if e.PasswordExpiry != 0 {
		expiry = expiryString(e.PasswordExpiry)
	}
	return credential.EncodeFields(valueTag,
		presence(&e.Credential), e.Protocol.Value, e.Host.Value, e.Path.Value,
		e.Username.Value, e.Password.Value, expiry, e.RefreshToken,
		strconv.FormatInt(e.StoredAt, 10))
}

// DecodeEntry parses an item value written by Encode.
func DecodeEntry(value string) (Entry, error) {
	f, err := credential.DecodeFields(valueTag, value, 9)
	if err != nil {
		return Entry{}, err
	}
	flags := f[0]
	if strings.Trim(flags, "hp") != "" {
		return Entry{}, fmt.Errorf("%w: unknown flags", credential.ErrMalformed)
	}
	e := Entry{Credential: Credential{
		Protocol:     Set(f[1]),
		Host:         Attr{Value: f[2], Present: strings.Contains(flags, "h")},
		Path:         Attr{Value: f[3], Present: strings.Contains(flags, "p")},
		Username:     Set(f[4]),
		Password:     Set(f[5]),
		RefreshToken: f[7],
	}}
	if f[6] != "" {
		if e.PasswordExpiry, err = strconv.ParseInt(f[6], 10, 64); err != nil || e.PasswordExpiry <= 0 {
			return Entry{}, fmt.Errorf("%w: bad expiry", credential.ErrMalformed)
		}
	}
	if e.StoredAt, err = strconv.ParseInt(f[8], 10, 64); err != nil {
		return Entry{}, fmt.Errorf("%w: bad time", credential.ErrMalformed)
	}
	return e, nil
}
