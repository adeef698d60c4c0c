// Package docker implements the docker credential helper protocol over a
// securestore store: parsing its JSON and server URLs, normalising the
// URLs as docker-credential-helpers does, the items that hold the
// credentials, and the import of ~/.docker/config.json.
package docker

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Registry is a server URL reduced to what identifies the registry.
// "https://127.0.0.1:5000/", "http://127.0.0.1:5000" and "127.0.0.1:5000"
// are one registry: docker login, docker logout and the daemon spell the
// same server in these ways, and docker's own ConvertToHostname strips
// the scheme too.
type Registry struct {
	Host string // lower case, without port; IPv6 without brackets
	Port string // "" when the URL has none; no default is assumed
	Path string // without trailing slashes: "/v1" for Docker Hub
}

// ErrBadServerURL is wrapped by every error of ParseServerURL.
var ErrBadServerURL = errors.New("bad server URL")

// errUserInURL is a server URL with a user part, which list would print.
var errUserInURL = fmt.Errorf("%w: it holds a user name or password; give them as Username and Secret", ErrBadServerURL)

// ParseServerURL parses a server URL as docker-credential-helpers'
// registryurl.Parse does: a URL without "://" is taken as "//" + URL, so
// that "host:port/path" has a host; the scheme, if any, must be http or
// https; the host must not be empty; the query and fragment are dropped.
// It also refuses a user name or password in the URL: those belong in
// Username and Secret, and a server URL is printed by list; and a URL
// whose registry has no spelling that reads back as itself (an IPv6 zone
// with bytes beyond ASCII, which net/url cannot write back), so that
// normalising is idempotent for every URL it accepts.
func ParseServerURL(serverURL string) (Registry, error) {
	r, err := parseServerURL(serverURL)
	if err != nil {
		return Registry{}, err
	}
	if again, err := parseServerURL(r.String()); err != nil || again != r {
		return Registry{}, fmt.Errorf("%w: its host name cannot be written back as a URL", ErrBadServerURL)
	}
	return r, nil
}

// parseServerURL is ParseServerURL without the check that the registry
// reads back.
func parseServerURL(serverURL string) (Registry, error) {
	s := serverURL
	if !strings.Contains(s, "://") && !strings.HasPrefix(s, "//") {
		s = "//" + s
	}
	// Refuse a user part before url.Parse sees it: url.Parse quotes a bad
	// escape in its error ("invalid URL escape \"%zz\""), which in the
	// user part is a piece of the password. The span is net/url's
	// authority: from "//" to the first '/', '?' or '#'; an '@' in it
	// starts the host.
	if _, authority, ok := strings.Cut(s, "//"); ok {
		if end := strings.IndexAny(authority, "/?#"); end >= 0 {
			authority = authority[:end]
		}
		if strings.Contains(authority, "@") {
			return Registry{}, errUserInURL
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the URL; say what is wrong without it.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return Registry{}, fmt.Errorf("%w: %v", ErrBadServerURL, err)
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return Registry{}, fmt.Errorf("%w: unsupported scheme %q (want http or https)", ErrBadServerURL, u.Scheme)
	}
	if u.Hostname() == "" {
		return Registry{}, fmt.Errorf("%w: no host name", ErrBadServerURL)
	}
	// url.Parse takes "::1:5000" as host "::1" and port 5000: an IPv6
	// address needs brackets, as in "[::1]:5000", to be read one way.
	if strings.Contains(u.Hostname(), ":") && !strings.HasPrefix(u.Host, "[") {
		return Registry{}, fmt.Errorf("%w: the host name holds a ':' (write an IPv6 address in brackets)", ErrBadServerURL)
	}
	return Registry{
		Host: strings.ToLower(u.Hostname()),
		Port: u.Port(),
		Path: strings.TrimRight(u.Path, "/"),
	}, nil
}

// String is the registry in the form "host[:port][/path]", escaped so
// that ParseServerURL reads it back as r: an IPv6 address in brackets,
// the host escaped as net/url escapes a URL's host (so '%', a space in an
// IPv6 zone, or a non-ASCII byte come back as they went), and the path
// percent-encoded, ':' included, since a "://" anywhere would make
// ParseServerURL (as docker-credential-helpers) look for a scheme.
func (r Registry) String() string {
	host := r.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if r.Port != "" {
		host += ":" + r.Port
	}
	host = strings.TrimPrefix((&url.URL{Host: host}).String(), "//")
	return host + strings.ReplaceAll((&url.URL{Path: r.Path}).EscapedPath(), ":", "%3A")
}
