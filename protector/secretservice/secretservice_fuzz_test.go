//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"math/big"
	"testing"

	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/protector"
)

// The fuzz targets of what the secretservice protector reads: its blob in
// the store's database, and what the service on the session bus (which
// any process of the user's can claim to be) sends back.

// FuzzParseSSBlob checks the secretservice blob: any bytes either fail
// with protector.ErrKeyMissing (empty) or protector.ErrKeyCorrupt, or split into an id and a
// sealed key at least a seal long that encodeSSBlob joins back into
// exactly the input.
func FuzzParseSSBlob(f *testing.F) {
	var id [ssIDSize]byte
	copy(id[:], "0123456789abcdef")
	f.Add(encodeSSBlob(id, bytes.Repeat([]byte{0x42}, 41+32)))
	f.Add([]byte{ssBlobVersion})
	f.Add([]byte{2, 0, 0})

	f.Fuzz(func(t *testing.T, blob []byte) {
		id, sealed, err := parseSSBlob(blob)
		switch {
		case len(blob) == 0 && !errors.Is(err, protector.ErrKeyMissing):
			t.Fatalf("parseSSBlob of nothing: %v, want protector.ErrKeyMissing", err)
		case len(blob) > 0 && err != nil && !errors.Is(err, protector.ErrKeyCorrupt):
			t.Fatalf("parseSSBlob(%x): %v, want protector.ErrKeyCorrupt", blob, err)
		case err == nil && len(sealed) < record.Overhead:
			t.Fatalf("parseSSBlob(%x) accepted a %d-byte sealed key, shorter than a seal", blob, len(sealed))
		case err == nil && !bytes.Equal(encodeSSBlob(id, sealed), blob):
			t.Fatalf("parseSSBlob(%x) = %x, %x, which encode otherwise", blob, id, sealed)
		}
	})
}

// FuzzSessionCrypto plays a hostile Secret Service. For any IV and
// ciphertext under a fixed session key, sessionDecrypt fails with
// errSessionCrypto or returns the one plaintext whose PKCS#7 padding,
// encrypted with that IV here, is exactly the ciphertext (no second
// padding is accepted); any plaintext round-trips through sessionEncrypt.
// For any public key the service offers, sessionKey refuses it exactly
// when it is not in (1, p-1) as at most 128 bytes, since a key outside
// forces a shared secret an eavesdropper knows.
func FuzzSessionCrypto(f *testing.F) {
	key := bytes.Repeat([]byte{0x3c}, sessionKeyLen)
	iv, ct, err := sessionEncrypt(key, []byte("a 32-byte key-encryption key!!!!"))
	if err != nil {
		f.Fatal(err)
	}
	kp, err := newDHKeyPair()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(kp.wipe)
	peer, err := newDHKeyPair()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(iv, ct, []byte("secret"), peer.pub)
	f.Add(iv, ct[:16], []byte{}, []byte{1})
	f.Add(bytes.Repeat([]byte{0}, 16), bytes.Repeat([]byte{0}, 32), bytes.Repeat([]byte{16}, 16), dhPrime.Bytes())
	f.Add([]byte{}, []byte{}, []byte(nil), new(big.Int).Sub(dhPrime, big.NewInt(1)).Bytes())
	peer.wipe()

	block, err := aes.NewCipher(key)
	if err != nil {
		f.Fatal(err)
	}
	pMinus1 := new(big.Int).Sub(dhPrime, big.NewInt(1))
	f.Fuzz(func(t *testing.T, iv, ct, plaintext, peerKey []byte) {
		pt, err := sessionDecrypt(key, iv, ct)
		if err != nil {
			if !errors.Is(err, errSessionCrypto) || pt != nil {
				t.Fatalf("sessionDecrypt failed with %v and %d bytes", err, len(pt))
			}
		} else {
			padded := append(bytes.Clone(pt), bytes.Repeat([]byte{byte(16 - len(pt)%16)}, 16-len(pt)%16)...)
			again := make([]byte, len(padded))
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(again, padded)
			if !bytes.Equal(again, ct) {
				t.Fatalf("sessionDecrypt accepted a %d-byte ciphertext that is not the padded %d-byte plaintext's", len(ct), len(pt))
			}
		}

		iv2, ct2, err := sessionEncrypt(key, plaintext)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := sessionDecrypt(key, iv2, ct2); err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("a %d-byte plaintext does not round-trip: %v", len(plaintext), err)
		}

		y := new(big.Int).SetBytes(peerKey)
		inRange := len(peerKey) <= dhBytes && y.Cmp(big.NewInt(1)) > 0 && y.Cmp(pMinus1) < 0
		sk, err := kp.sessionKey(peerKey)
		if inRange != (err == nil) || err == nil && len(sk) != sessionKeyLen {
			t.Fatalf("sessionKey of a %d-byte peer key (in range %v): %d bytes, %v", len(peerKey), inRange, len(sk), err)
		}
	})
}
