//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

// TestDHGroup: the prime is RFC 2409's 1024-bit safe prime (p and (p-1)/2
// both prime, p = 2^1024 - 2^960 - 1 + 2^64 * (floor(2^894 pi) + 129093)
// ends and starts in 64 one bits), so a typo cannot weaken the group.
func TestDHGroup(t *testing.T) {
	if dhPrime.BitLen() != 1024 || !dhPrime.ProbablyPrime(32) {
		t.Fatal("dhPrime is not a 1024-bit prime")
	}
	q := new(big.Int).Rsh(dhPrime, 1)
	if !q.ProbablyPrime(32) {
		t.Fatal("dhPrime is not a safe prime")
	}
	low := new(big.Int).And(dhPrime, new(big.Int).SetUint64(^uint64(0)))
	high := new(big.Int).Rsh(dhPrime, 960)
	if low.Uint64() != ^uint64(0) || high.Uint64() != ^uint64(0) {
		t.Fatal("dhPrime does not start and end with 64 one bits")
	}
}

// TestDHAgreement: both ends derive the same 16-byte session key; a peer
// key of 0, 1, p-1 or p is refused.
func TestDHAgreement(t *testing.T) {
	a, err := newDHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newDHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	ka, err := a.sessionKey(b.pub)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.sessionKey(a.pub)
	if err != nil {
		t.Fatal(err)
	}
	if len(ka) != 16 || !bytes.Equal(ka, kb) {
		t.Fatalf("keys differ: %x %x", ka, kb)
	}
	pm1 := new(big.Int).Sub(dhPrime, big.NewInt(1))
	for _, bad := range [][]byte{{0}, {1}, pm1.Bytes(), dhPrime.Bytes(), make([]byte, 129)} {
		if _, err := a.sessionKey(bad); err == nil {
			t.Errorf("peer key %x… accepted", bad[:1])
		}
	}
	a.wipe()
	if a.priv.Sign() != 0 {
		t.Error("wipe left the private exponent")
	}
}

// TestSessionCipher: AES-128-CBC with PKCS#7 round-trips every length, and
// bad padding, a short IV or a partial block are refused.
func TestSessionCipher(t *testing.T) {
	key := bytes.Repeat([]byte{3}, 16)
	for n := 0; n <= 48; n++ {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		iv, ct, err := sessionEncrypt(key, pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct)%16 != 0 || len(ct) <= n {
			t.Fatalf("len %d: ciphertext of %d bytes", n, len(ct))
		}
		got, err := sessionDecrypt(key, iv, ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("len %d: got %x, %v", n, got, err)
		}
	}
	iv, ct, _ := sessionEncrypt(key, []byte("sixteen bytes!!!"))
	for name, c := range map[string]struct{ iv, ct []byte }{
		"short iv":      {iv[:8], ct},
		"partial block": {iv, ct[:20]},
		"empty":         {iv, nil},
	} {
		if _, err := sessionDecrypt(key, c.iv, c.ct); !errors.Is(err, errSessionCrypto) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// 16 bytes of plaintext get a whole block of padding; flipping a bit
	// of the first ciphertext block's last byte turns the padding's last
	// byte from 16 into 17, which must be refused.
	bad := bytes.Clone(ct)
	bad[15] ^= 0x01
	if _, err := sessionDecrypt(key, iv, bad); !errors.Is(err, errSessionCrypto) {
		t.Errorf("bad padding accepted: %v", err)
	}
}
