package syncgroup

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
)

// The group's keys. A group has one name key for its whole life (the
// etcd keys of items are MACs under it) and one item key per epoch; a
// revocation starts a new epoch. What a device is given, wrapped to its
// X25519 key pair with HPKE, is a bundle of both: the name key and the
// epoch's item key.

const keySize = 32

// bundle is the name key followed by an epoch's item key.
type bundle []byte

func newBundle(nameKey []byte) bundle {
	b := make(bundle, 2*keySize)
	if nameKey != nil {
		copy(b, nameKey)
	} else if _, err := rand.Read(b[:keySize]); err != nil {
		panic("syncgroup: crypto/rand failed: " + err.Error())
	}
	if _, err := rand.Read(b[keySize:]); err != nil {
		panic("syncgroup: crypto/rand failed: " + err.Error())
	}
	return b
}

func (b bundle) nameKey() []byte { return b[:keySize] }

// itemKey derives the AEAD key of item records from the epoch's key.
func (b bundle) itemKey() []byte {
	k, err := hkdf.Key(sha256.New, b[keySize:], nil, "securestore sync item key v1", keySize)
	if err != nil {
		panic(err)
	}
	return k
}

func (b bundle) wipe() { clear(b) }

// nameMAC is the etcd key name of item (service, key): HMAC-SHA256 under
// the group's name key, so etcd learns no name and no two items share one.
func nameMAC(nameKey []byte, groupID, service, key string) string {
	m := hmac.New(sha256.New, nameKey)
	fmt.Fprintf(m, "securestore sync name v1\x00%s\x00", groupID)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(service)))
	m.Write(n[:])
	m.Write([]byte(service))
	m.Write([]byte(key))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Devices: each has an X25519 key pair for HPKE (RFC 9180,
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305). Its id is
// a hash of its public key, so that an id names exactly one key; its join
// code is the id's first ten characters.

var (
	kem   = hpke.DHKEM(ecdh.X25519())
	kdf   = hpke.HKDFSHA256()
	aead  = hpke.ChaCha20Poly1305()
	b32   = base32.StdEncoding.WithPadding(base32.NoPadding)
	idLen = 26 // base32 characters: 130 bits of SHA-256
)

// CodeLen is the number of characters of a join code (without its dash).
const CodeLen = 10

// deviceID is the id of the device whose public key is pub.
func deviceID(pub []byte) string {
	sum := sha256.Sum256(append([]byte("securestore sync device v1\x00"), pub...))
	return strings.ToLower(b32.EncodeToString(sum[:]))[:idLen]
}

// Code formats the join code of device id: "ABCDE-FGHIJ".
func Code(id string) string {
	c := strings.ToUpper(id[:CodeLen])
	return c[:5] + "-" + c[5:]
}

// normalizeCode turns what a user typed into the id prefix it names.
func normalizeCode(code string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
}

func wrapInfo(groupID string, epoch uint32, device string) []byte {
	return fmt.Appendf(nil, "securestore sync group key v1\x00%s\x00%d\x00%s", groupID, epoch, device)
}

// wrapBundle seals b to the device's public key.
func wrapBundle(pub []byte, groupID string, epoch uint32, device string, b bundle) ([]byte, error) {
	pk, err := kem.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: a device's public key: %v", ErrBadRecord, err)
	}
	return hpke.Seal(pk, kdf, aead, wrapInfo(groupID, epoch, device), b)
}

// unwrapBundle opens a bundle wrapped to this device.
func unwrapBundle(priv hpke.PrivateKey, groupID string, epoch uint32, device string, ct []byte) (bundle, error) {
	pt, err := hpke.Open(priv, kdf, aead, wrapInfo(groupID, epoch, device), ct)
	if err != nil || len(pt) != 2*keySize {
		clear(pt) // a wrong length may still hold key bytes
		return nil, fmt.Errorf("%w: the group key wrapped to this device", ErrBadRecord)
	}
	return bundle(pt), nil
}
