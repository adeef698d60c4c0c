// Package keyname maps any string (a go-keyring service or user, a
// 99designs/keyring key) reversibly onto securestore's name alphabet,
// A-Z a-z 0-9 . _ - (one or more bytes).
//
// The mapping, for every byte of the string:
//
//   - A-Z a-z 0-9 . and - stay as they are;
//   - every other byte, '_' included, becomes '_' followed by the byte's
//     value as two upper-case hex digits ("a b" → "a_20b", "_" → "_5F",
//     "é" → "_C3_A9");
//   - the empty string, which is not a valid securestore name, becomes the
//     lone "_", which no non-empty string encodes to (every '_' in an
//     encoded non-empty string is followed by two hex digits).
//
// So names made only of letters, digits, dots and dashes (the common case:
// "github.com", "my-service", "alice") are stored under their own spelling,
// and the command line shows them as they are. Encode is injective and
// Decode(Encode(s)) == s for every string, valid UTF-8 or not; Decode
// accepts exactly Encode's outputs (lower-case hex, a '_' without two hex
// digits, or a byte outside the alphabet is an error), so no two stored
// names decode to the same string. An encoded name is at most three times
// as long as the string.
package keyname

import (
	"errors"
	"strings"
)

// Empty is the encoding of the empty string.
const Empty = "_"

// ErrNotEncoded is returned by Decode for a name that Encode never produces.
var ErrNotEncoded = errors.New("keyname: not an encoded name")

const hexDigits = "0123456789ABCDEF"

// Encode returns s in securestore's name alphabet.
func Encode(s string) string {
	if s == "" {
		return Empty
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if kept(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

// Decode returns the string that Encode mapped to name, or ErrNotEncoded.
func Decode(name string) (string, error) {
	if name == Empty {
		return "", nil
	}
	if name == "" {
		return "", ErrNotEncoded
	}
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case kept(c):
			b = append(b, c)
		case c == '_' && i+2 < len(name) && hexValue(name[i+1]) >= 0 && hexValue(name[i+2]) >= 0:
			b = append(b, byte(hexValue(name[i+1])<<4|hexValue(name[i+2])))
			i += 2
		default:
			return "", ErrNotEncoded
		}
	}
	// An escape of a byte that Encode keeps ("_41" for "A") is not Encode's
	// output: rejecting it keeps the mapping one-to-one.
	s := string(b)
	if Encode(s) != name {
		return "", ErrNotEncoded
	}
	return s, nil
}

// kept reports whether Encode keeps byte c as it is: securestore's name
// alphabet less '_', which is the escape character.
func kept(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// hexValue is the value of an upper-case hex digit, or -1.
func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
