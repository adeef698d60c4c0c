package credential

import (
	"crypto/sha256"
	"encoding/hex"
)

// Item keys must match ^[A-Za-z0-9._-]+$. The helpers build them from a
// readable part, made by KeyPart, and a Digest of the exact identity:
//
//	https_github.com_3f9a0c…   (git: protocol _ host _ digest)
//	127.0.0.1-5000_9b41d2…     (docker: host-port _ digest)
//
// The readable parts let `securestore --app git-credential --service git
// list` say which hosts have credentials, and let a helper narrow a search
// by protocol and host without reading values; the digest makes the key
// exact. The helpers always compare the identity stored in the value too,
// so two identities whose readable parts look alike never mix.

// maxKeyPart bounds a readable part, so that a key stays short whatever
// the host name.
const maxKeyPart = 64

// KeyPart maps s to the characters a key may hold: ASCII letters, digits,
// '.' and '-' stay, every other byte becomes '-'. It never yields '_',
// which separates the parts of a key. Long parts are cut to 64 bytes.
func KeyPart(s string) string {
	b := []byte(s)
	if len(b) > maxKeyPart {
		b = b[:maxKeyPart]
	}
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	return string(b)
}

// Digest is the first 128 bits of SHA-256 over the fields, encoded
// unambiguously (EncodeFields under tag), in lower-case hex: 32
// characters that may appear in a key.
func Digest(tag string, fields ...string) string {
	sum := sha256.Sum256([]byte(EncodeFields(tag, fields...)))
	return hex.EncodeToString(sum[:16])
}
