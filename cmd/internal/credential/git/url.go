package git

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadURL is wrapped by every error of ParseURL. The messages never
// quote the URL: it may hold a password.
var ErrBadURL = errors.New("bad credential URL")

// ParseURL parses a credential in git's URL form, as a line of
// ~/.git-credentials or a request's url attribute:
//
//	protocol://[username[:password]@]host[:port][/path]
//
// exactly as git's credential_from_url does: the scheme is required; the
// host ends at the first '/', '?' or '#'; an '@' before that ends the user
// part, split at its first ':' into username and password; the path loses
// its leading and trailing slashes and is absent when nothing is left;
// username, password, host and path are percent-decoded (%XX only; '+' is
// a plus). A component holding a newline (or a NUL) after decoding is an
// error, as in git, since the helper protocol could not carry it.
func ParseURL(url string) (Credential, error) {
	var c Credential
	protoEnd := strings.Index(url, "://")
	if protoEnd <= 0 {
		return Credential{}, fmt.Errorf("%w: no scheme (want protocol://host)", ErrBadURL)
	}
	c.Protocol = Set(url[:protoEnd])
	rest := url[protoEnd+len("://"):]
	hostEnd := strings.IndexAny(rest, "/?#")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	host := rest
	if at := strings.IndexByte(rest, '@'); at >= 0 && at < hostEnd {
		user := rest[:at]
		if colon := strings.IndexByte(user, ':'); colon >= 0 {
			c.Username = Set(percentDecode(user[:colon]))
			c.Password = Set(percentDecode(user[colon+1:]))
		} else {
			c.Username = Set(percentDecode(user))
		}
		host = rest[at+1:]
		hostEnd -= at + 1
	}
	c.Host = Set(percentDecode(host[:hostEnd]))
	path := strings.TrimLeft(host[hostEnd:], "/")
	if path != "" {
		decoded := percentDecode(path)
		// Git trims trailing slashes after decoding, and keeps the
		// first byte: "%2F" alone stays "/".
		trimmed := strings.TrimRight(decoded, "/")
		if trimmed == "" {
			trimmed = decoded[:1]
		}
		c.Path = Set(trimmed)
	}
	for _, a := range []struct {
		name string
		attr Attr
	}{{"protocol", c.Protocol}, {"username", c.Username}, {"password", c.Password}, {"host", c.Host}, {"path", c.Path}} {
		if strings.ContainsAny(a.attr.Value, "\n\x00") {
			return Credential{}, fmt.Errorf("%w: the %s holds a newline or NUL byte", ErrBadURL, a.name)
		}
	}
	return c, nil
}

// percentDecode decodes %XX escapes and leaves everything else, invalid
// escapes included, as it is (git's url_decode_mem).
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if hi, ok := unhex(s[i+1]); ok {
				if lo, ok := unhex(s[i+2]); ok {
					b.WriteByte(hi<<4 | lo)
					i += 2
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// FormatURL writes c in the URL form of ~/.git-credentials, percent-
// encoding what git's credential-store encodes. Used by tests and by
// nothing that prints: the result holds the password.
func FormatURL(c *Credential) string {
	var b strings.Builder
	b.WriteString(c.Protocol.Value + "://")
	if c.Username.Present {
		b.WriteString(percentEncode(c.Username.Value, false))
		if c.Password.Present {
			b.WriteString(":" + percentEncode(c.Password.Value, false))
		}
		b.WriteString("@")
	}
	b.WriteString(percentEncode(c.Host.Value, false))
	if c.Path.Present {
		b.WriteString("/" + percentEncode(c.Path.Value, true))
	}
	return b.String()
}

// percentEncode escapes every byte but RFC 3986's unreserved ones (and,
// in a path, the reserved ones too), as credential-store does.
func percentEncode(s string, path bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || path && strings.IndexByte("!*'();:@&=+$,/?#[]", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0
}
