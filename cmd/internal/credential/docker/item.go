package docker

import (
	"github.com/securestore-go/securestore/cmd/internal/credential"
)

// Where the helper keeps credentials. Docker runs the helper with the
// operation as its only argument, so the app is fixed.
const (
	App     = "docker-credential"
	Service = "docker"
)

// Items
//
// Each registry's credentials are one item. Its key is
//
//	<host[-port]>_<digest>
//
// where the first part is credential.KeyPart of host:port (e.g.
// "127.0.0.1-5000_…", "index.docker.io_…") and digest is
// credential.Digest of the Registry (host, port, path). Every spelling of
// a server URL that ParseServerURL reduces to the same Registry finds the
// same item.
//
// Its value (credential.EncodeFields, tag "docker1") holds the server URL
// as docker last stored it (list returns it, and docker matches it against
// its config), the username and the secret.

const valueTag = "docker1"

// Key is the item key of r's credentials.
func Key(r Registry) string {
	hostPort := r.Host
	if r.Port != "" {
		hostPort += ":" + r.Port
	}
	return credential.KeyPart(hostPort) + "_" + credential.Digest("dockerkey1", r.Host, r.Port, r.Path)
}

// Encode is c's item value.
func Encode(c Credentials) string {
	return credential.EncodeFields(valueTag, c.ServerURL, c.Username, c.Secret)
}

// Decode parses an item value written by Encode.
func Decode(value string) (Credentials, error) {
	f, err := credential.DecodeFields(valueTag, value, 3)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{ServerURL: f[0], Username: f[1], Secret: f[2]}, nil
}
