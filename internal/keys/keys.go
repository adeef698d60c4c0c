// Package keys is the key hierarchy of docs/SECURITY.md in code:
//
//	device key (from the protector)
//	  ├─ metadata key (HKDF) → item ids, service tags, encrypted names
//	  ├─ device KEK   (HKDF) → wraps the class keys that need only the device key
//	  ├─ passcode KEK (HKDF of device key ‖ passcode key) → wraps the others while a passcode is set
//	  └─ class keys   random, one per accessibility class, stored wrapped
//
// Everything here is pure computation; storage and locking live elsewhere.
package keys

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash"
	"sync"

	"github.com/securestore-go/securestore/internal/record"
)

// Size is the length of every symmetric key in the hierarchy.
const Size = 32

// Wrapping says which keys protect a wrapped class key.
const (
	WrapDevice         uint8 = 0 // device KEK alone
	WrapDevicePasscode uint8 = 1 // device key mixed with the passcode key
)

// New returns a fresh random key.
func New() []byte {
	k := make([]byte, Size)
	if _, err := rand.Read(k); err != nil {
		panic("securestore: crypto/rand failed: " + err.Error())
	}
	return k
}

// Wipe overwrites a key that is no longer needed. Go may have copied it
// (the garbage collector moves nothing, but slices get copied by callers),
// so this narrows the window rather than closing it; docs/SECURITY.md says so.
func Wipe(k []byte) { clear(k) }

// Metadata holds the keys that protect names. They derive from the device
// key alone, so names stay usable while the store is locked: HasItem, Keys
// and DeleteItem never need a class key.
type Metadata struct {
	store  string
	ids    *macPool
	tags   *macPool
	names  cipher.AEAD
	secret [][]byte
}

// DeriveMetadata derives the metadata keys of one store (app or group).
func DeriveMetadata(device []byte, store string) *Metadata {
	meta := derive(device, "securestore metadata v1\x00"+store)
	defer Wipe(meta)
	idKey := derive(meta, "item id")
	tagKey := derive(meta, "service tag")
	nameKey := derive(meta, "item name")
	names, err := record.NewAEAD(nameKey)
	if err != nil {
		panic(err) // key length is fixed
	}
	return &Metadata{
		store:  store,
		ids:    newMACPool(idKey),
		tags:   newMACPool(tagKey),
		names:  names,
		secret: [][]byte{idKey, tagKey, nameKey},
	}
}

// ItemID is the index under which an item is stored: a keyed MAC of its
// service and key, so that the index tells nothing without the device key.
func (m *Metadata) ItemID(service, key string) []byte {
	return m.ids.sum(record.EncodeName(service, key))
}

// ServiceTag is the keyed MAC of a service name that Keys looks items up by.
func (m *Metadata) ServiceTag(service string) []byte {
	return m.tags.sum([]byte(service))
}

// SealName encrypts an item's service and key, bound to its id.
func (m *Metadata) SealName(id []byte, service, key string) []byte {
	return record.Seal(m.names, record.EncodeName(service, key), record.NameAD(m.store, id))
}

// OpenName decrypts a name sealed by SealName.
func (m *Metadata) OpenName(id, blob []byte) (service, key string, err error) {
	pt, err := record.Open(m.names, blob, record.NameAD(m.store, id))
	if err != nil {
		return "", "", err
	}
	return record.DecodeName(pt)
}

// Wipe clears the key bytes this Metadata holds, and the name cipher's
// copy. The Metadata must not be used after. (The HMAC states in the
// pools hold the id and tag keys XORed with HMAC's pads; they go with the
// garbage collector: docs/SECURITY.md.)
func (m *Metadata) Wipe() {
	for _, k := range m.secret {
		Wipe(k)
	}
	record.ZeroAEAD(m.names)
}

// DeviceKEK derives the key that wraps class keys protected by the device
// key alone.
func DeviceKEK(device []byte, store string) []byte {
	return derive(device, "securestore class kek v1\x00"+store)
}

// PasscodeKEK derives the key that wraps class keys protected by the
// passcode: the passcode key mixed with the device key, so that the
// passcode cannot be guessed offline without the device key (which the
// protector holds). The caller wipes both inputs and the result.
func PasscodeKEK(device, passcodeKey []byte, store string) []byte {
	// Sized once: appending the passcode key to a copy of the device key
	// could move it, leaving that first copy behind unwiped.
	secret := make([]byte, 0, len(device)+len(passcodeKey))
	secret = append(append(secret, device...), passcodeKey...)
	defer Wipe(secret)
	return derive(secret, "securestore passcode kek v1\x00"+store)
}

// PasscodeAuth derives from the passcode key the auth value that a
// protector's passcode binding checks (protector.PasscodeBinder). It has a
// label of its own: the auth goes to the hardware, and neither it nor the
// bound secret the hardware returns for it gives the KEK without the
// passcode key itself. The caller wipes the result.
func PasscodeAuth(passcodeKey []byte, store string) []byte {
	return derive(passcodeKey, "securestore passcode auth v1\x00"+store)
}

// BoundPasscodeKEK is PasscodeKEK for a passcode bound to a protector's
// hardware (derivation v2): it also depends on the secret that the
// protector releases only for the right PasscodeAuth, so that a guess
// cannot be checked without asking the hardware, which counts it. Stores
// without a binding keep PasscodeKEK. The caller wipes the inputs and the
// result.
func BoundPasscodeKEK(device, passcodeKey, bound []byte, store string) []byte {
	secret := make([]byte, 0, len(device)+len(passcodeKey)+len(bound))
	secret = append(append(append(secret, device...), passcodeKey...), bound...)
	defer Wipe(secret)
	return derive(secret, "securestore passcode kek v2\x00"+store)
}

// WrapClassKey seals a class key under kek, bound to store, class and wrapping.
func WrapClassKey(kek []byte, store string, class, wrapping uint8, classKey []byte) []byte {
	aead, err := record.NewAEAD(kek)
	if err != nil {
		panic(err)
	}
	defer record.ZeroAEAD(aead)
	return record.Seal(aead, classKey, record.ClassKeyAD(store, class, wrapping))
}

// UnwrapClassKey opens a class key sealed by WrapClassKey.
func UnwrapClassKey(kek []byte, store string, class, wrapping uint8, blob []byte) ([]byte, error) {
	aead, err := record.NewAEAD(kek)
	if err != nil {
		return nil, err
	}
	defer record.ZeroAEAD(aead)
	k, err := record.Open(aead, blob, record.ClassKeyAD(store, class, wrapping))
	if err != nil {
		return nil, err
	}
	if len(k) != Size {
		Wipe(k)
		return nil, record.ErrFormat
	}
	return k, nil
}

// macPool hands out HMAC-SHA256 states keyed once, so that computing an id
// on the GetItem path costs one MAC and no key schedule.
type macPool struct{ p sync.Pool }

func newMACPool(key []byte) *macPool {
	mp := &macPool{}
	mp.p.New = func() any { return hmac.New(sha256.New, key) }
	return mp
}

func (mp *macPool) sum(msg []byte) []byte {
	h := mp.p.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	out := h.Sum(nil)
	mp.p.Put(h)
	return out
}

// TransferKEK derives the key that carries a store's ThisDeviceOnly values
// in an export: only the same device key (the same store on the same
// device) can open them again.
func TransferKEK(device []byte, store string) []byte {
	return derive(device, "securestore export v1\x00"+store)
}

// Fingerprint names a store's device key in an export without revealing
// it, so that an import can tell "this device" from "another one" before
// trying to open anything.
func Fingerprint(device []byte, store string) []byte {
	m := hmac.New(sha256.New, device)
	m.Write([]byte("securestore device fingerprint v1\x00" + store))
	return m.Sum(nil)[:16]
}
