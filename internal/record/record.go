// Package record is the on-disk format of sealed values: the blob layout and
// the associated data that binds each sealed value to the one item (or key)
// it belongs to. docs/FORMAT.md describes the same bytes for humans; a
// change here is a format change and gets a new Version.
package record

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"reflect"

	"golang.org/x/crypto/chacha20poly1305"
)

// Version is the first byte of every sealed blob.
const Version = 1

// ErrFormat reports a blob that is malformed or fails authentication. The
// two are not told apart on purpose: both mean "do not trust these bytes".
var ErrFormat = errors.New("sealed record is malformed or fails authentication")

const (
	nonceSize = chacha20poly1305.NonceSizeX
	// Overhead is how many bytes Seal adds to the plaintext.
	Overhead = 1 + nonceSize + chacha20poly1305.Overhead
)

// NewAEAD returns the cipher for a 32-byte key: XChaCha20-Poly1305, whose
// 192-bit random nonces can never repeat in practice however many values a
// key seals over the store's life.
func NewAEAD(key []byte) (cipher.AEAD, error) {
	return chacha20poly1305.NewX(key)
}

// ZeroAEAD wipes the copy of the key that an AEAD from NewAEAD holds.
// x/crypto's XChaCha20-Poly1305 is a pointer to a struct whose only field
// is the 32-byte key (for ChaCha20 the key schedule is the key itself), so
// zeroing the struct leaves no key behind; the AEAD must not be used
// after. Callers build an AEAD per operation from a wiped key buffer and
// call ZeroAEAD when done, so that no cipher object outlives its key.
func ZeroAEAD(aead cipher.AEAD) {
	v := reflect.ValueOf(aead)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("record: ZeroAEAD: the AEAD is not a pointer to a struct")
	}
	v.Elem().SetZero()
}

// Seal encrypts plaintext under aead with a fresh random nonce, binding ad.
// The result is Version || nonce || ciphertext || tag.
func Seal(aead cipher.AEAD, plaintext, ad []byte) []byte {
	out := make([]byte, 1+nonceSize, Overhead+len(plaintext))
	out[0] = Version
	if _, err := rand.Read(out[1:]); err != nil {
		panic("securestore: crypto/rand failed: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	return aead.Seal(out, out[1:], plaintext, ad)
}

// Open authenticates and decrypts a blob made by Seal with the same ad.
func Open(aead cipher.AEAD, blob, ad []byte) ([]byte, error) {
	pt, err := OpenAppend(nil, aead, blob, ad)
	if err != nil {
		return nil, err
	}
	return pt, nil
}

// OpenAppend is Open appending the plaintext to dst, so that a reader that
// keeps its buffer decrypts into it without allocating, and a reader that
// passes nil gets a buffer nothing else references. On failure it returns
// dst unchanged, and what the AEAD wrote into dst's spare capacity before
// it found the tag wrong is cleared (both chacha20poly1305 AEADs do so).
func OpenAppend(dst []byte, aead cipher.AEAD, blob, ad []byte) ([]byte, error) {
	if len(blob) < Overhead || blob[0] != Version {
		return dst, ErrFormat
	}
	out, err := aead.Open(dst, blob[1:1+nonceSize], blob[1+nonceSize:], ad)
	if err != nil {
		return dst, ErrFormat
	}
	return out, nil
}

// Domain labels keep the associated data of different kinds of record
// disjoint, so that no sealed blob of one kind authenticates as another.
const (
	domainItem     = "securestore item v1"
	domainName     = "securestore name v1"
	domainClassKey = "securestore class key v1"
)

// ItemAD is the associated data of an item's value: the format version, the
// store (app or access group), the service, the key and the accessibility
// class. A value moved to another row, store, service, key or class fails
// to open.
func ItemAD(store, service, key string, class uint8) []byte {
	return appendFields(make([]byte, 0, 64+len(store)+len(service)+len(key)),
		domainItem, store, service, key, string([]byte{class}))
}

// NameAD is the associated data of an item's encrypted name, bound to the
// item's index id.
func NameAD(store string, id []byte) []byte {
	return appendFields(nil, domainName, store, string(id))
}

// ClassKeyAD is the associated data of a wrapped class key, bound to its
// store, class and wrapping (which keys protect it).
func ClassKeyAD(store string, class, wrapping uint8) []byte {
	return appendFields(nil, domainClassKey, store, string([]byte{class, wrapping}))
}

// appendFields encodes each field as a 4-byte big-endian length and the
// bytes, so that no two different field lists encode alike.
func appendFields(b []byte, fields ...string) []byte {
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// EncodeName packs an item's service and key into the plaintext of its
// encrypted name.
func EncodeName(service, key string) []byte {
	return appendFields(nil, service, key)
}

// DecodeName is the inverse of EncodeName.
func DecodeName(b []byte) (service, key string, err error) {
	f, err := splitFields(b, 2)
	if err != nil {
		return "", "", err
	}
	return f[0], f[1], nil
}

func splitFields(b []byte, n int) ([]string, error) {
	out := make([]string, 0, n)
	for len(out) < n {
		if len(b) < 4 {
			return nil, ErrFormat
		}
		l := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(l) > uint64(len(b)) {
			return nil, ErrFormat
		}
		out = append(out, string(b[:l]))
		b = b[l:]
	}
	if len(b) != 0 {
		return nil, ErrFormat
	}
	return out, nil
}

// ProtectorAD is the associated data of a device key wrapped by a software
// protector (such as the file protector), bound to the protector and store.
func ProtectorAD(protector, store string) []byte {
	return appendFields(nil, "securestore protector v1", protector, store)
}
