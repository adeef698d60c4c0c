//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"math/big"
)

// The Secret Service's encrypted transfer of secrets, algorithm
// "dh-ietf1024-sha256-aes128-cbc-pkcs7" of the freedesktop.org Secret
// Service API, as libsecret and gnome-keyring implement it:
//
//  1. each side picks a Diffie-Hellman key pair in the 1024-bit MODP group
//     of RFC 2409 §6.2 (the "Second Oakley Group", generator 2), and the
//     public keys travel as big-endian bytes in OpenSession;
//  2. the shared secret, as 128 big-endian bytes (left-padded with zeros),
//     goes through HKDF-SHA256 with an empty salt and empty info to a
//     16-byte AES key;
//  3. each secret travels as AES-128-CBC with PKCS#7 padding, its random
//     16-byte IV in the Secret's "parameters".
//
// It keeps secrets off the bus in clear: the bus daemon and anything that
// eavesdrops on the session bus see only ciphertext. It does not
// authenticate the service (nothing does: the bus name is the only proof).

// dhPrime is the RFC 2409 1024-bit MODP prime, 2^1024 - 2^960 - 1 + 2^64 *
// (floor(2^894 pi) + 129093).
var dhPrime, _ = new(big.Int).SetString(
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"+
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"+
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"+
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"+
		"FFFFFFFFFFFFFFFF", 16)

const (
	dhBytes       = 128 // the prime's size: public keys and the shared secret
	sessionKeyLen = 16  // AES-128
)

var errSessionCrypto = errors.New("secret does not decrypt under the session key")

// dhKeyPair is our half of one session's key agreement.
type dhKeyPair struct {
	priv *big.Int
	pub  []byte // dhBytes, big-endian
}

// newDHKeyPair draws a private exponent in [2, p-2].
func newDHKeyPair() (*dhKeyPair, error) {
	max := new(big.Int).Sub(dhPrime, big.NewInt(3))
	x, err := rand.Int(rand.Reader, max)
	if err != nil {
		return nil, err
	}
	x.Add(x, big.NewInt(2))
	y := new(big.Int).Exp(big.NewInt(2), x, dhPrime)
	return &dhKeyPair{priv: x, pub: y.FillBytes(make([]byte, dhBytes))}, nil
}

// sessionKey derives the AES key shared with the peer whose public key is
// peer. A peer key outside (1, p-1) is refused: it would force a shared
// secret that an eavesdropper knows.
func (kp *dhKeyPair) sessionKey(peer []byte) ([]byte, error) {
	y := new(big.Int).SetBytes(peer)
	pMinus1 := new(big.Int).Sub(dhPrime, big.NewInt(1))
	if len(peer) > dhBytes || y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(pMinus1) >= 0 {
		return nil, errors.New("the service's Diffie-Hellman public key is out of range")
	}
	// big.Int.Exp is not constant-time; the private exponent lives for one
	// session of one local call, which is what libsecret accepts too.
	s := new(big.Int).Exp(y, kp.priv, dhPrime)
	shared := s.FillBytes(make([]byte, dhBytes))
	wipeInt(s)
	defer clear(shared)
	return hkdf.Key(sha256.New, shared, nil, "", sessionKeyLen)
}

// wipe clears the private exponent.
func (kp *dhKeyPair) wipe() { wipeInt(kp.priv) }

func wipeInt(x *big.Int) {
	clear(x.Bits())
	x.SetInt64(0)
}

// sessionEncrypt returns a random IV and AES-128-CBC(PKCS#7(plaintext)).
func sessionEncrypt(key, plaintext []byte) (iv, ciphertext []byte, err error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	iv = make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, nil, err
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, len(plaintext)+pad)
	copy(buf, plaintext)
	for i := len(plaintext); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return iv, buf, nil
}

// sessionDecrypt reverses sessionEncrypt. The padding is checked in
// constant time, and the padded plaintext is wiped.
func sessionDecrypt(key, iv, ciphertext []byte) ([]byte, error) {
	if len(iv) != aes.BlockSize || len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, errSessionCrypto
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, len(ciphertext))
	defer clear(buf)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(buf, ciphertext)
	pad := int(buf[len(buf)-1])
	ok := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, pad)
		match := subtle.ConstantTimeByteEq(buf[len(buf)-i], byte(pad))
		ok &= subtle.ConstantTimeSelect(inPad, match, 1)
	}
	if ok != 1 {
		return nil, errSessionCrypto
	}
	out := make([]byte, len(buf)-pad)
	copy(out, buf)
	return out, nil
}
