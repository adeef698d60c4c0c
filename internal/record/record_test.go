package record

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	aead, _ := NewAEAD(bytes.Repeat([]byte{7}, 32))
	ad := ItemAD("app:a", "svc", "key", 0)
	blob := Seal(aead, []byte("secret"), ad)
	if len(blob) != Overhead+len("secret") || blob[0] != Version {
		t.Fatalf("blob layout: %d bytes, version %d", len(blob), blob[0])
	}
	pt, err := Open(aead, blob, ad)
	if err != nil || string(pt) != "secret" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if bytes.Contains(blob, []byte("secret")) {
		t.Fatal("plaintext visible in the blob")
	}
	if bytes.Equal(blob, Seal(aead, []byte("secret"), ad)) {
		t.Fatal("two seals of the same value are equal: nonce reuse")
	}
	// Every single-bit flip and every truncation fails.
	for i := range blob {
		for bit := 0; bit < 8; bit++ {
			b := bytes.Clone(blob)
			b[i] ^= 1 << bit
			if _, err := Open(aead, b, ad); !errors.Is(err, ErrFormat) {
				t.Fatalf("flip byte %d bit %d: err = %v", i, bit, err)
			}
		}
		if _, err := Open(aead, blob[:i], ad); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d: err = %v", i, err)
		}
	}
}

func TestADsBindEveryField(t *testing.T) {
	aead, _ := NewAEAD(bytes.Repeat([]byte{9}, 32))
	blob := Seal(aead, []byte("v"), ItemAD("app:a", "svc", "key", 2))
	for _, ad := range [][]byte{
		ItemAD("app:b", "svc", "key", 2),
		ItemAD("group:a", "svc", "key", 2),
		ItemAD("app:a", "svc2", "key", 2),
		ItemAD("app:a", "svc", "key2", 2),
		ItemAD("app:a", "svc", "key", 3),
		ItemAD("app:a", "svckey", "", 2), // moving bytes between fields
		ItemAD("app:a", "", "svckey", 2),
		NameAD("app:a", []byte("svc")),
		ClassKeyAD("app:a", 2, 0),
		ProtectorAD("file", "app:a"),
	} {
		if _, err := Open(aead, blob, ad); err == nil {
			t.Errorf("blob opened under the wrong associated data %q", ad)
		}
	}
}

func TestNameEncoding(t *testing.T) {
	for _, c := range [][2]string{{"s", "k"}, {"", ""}, {"a\x00b", "c"}, {"svc", ""}} {
		s, k, err := DecodeName(EncodeName(c[0], c[1]))
		if err != nil || s != c[0] || k != c[1] {
			t.Errorf("round trip %q = %q %q %v", c, s, k, err)
		}
	}
	enc := EncodeName("svc", "key")
	for _, bad := range [][]byte{nil, enc[:3], enc[:len(enc)-1], append(bytes.Clone(enc), 0), {0, 0, 0, 9, 'a'}} {
		if _, _, err := DecodeName(bad); err == nil {
			t.Errorf("DecodeName(%q) accepted", bad)
		}
	}
}

// TestZeroAEAD: after ZeroAEAD the cipher seals exactly as one with the
// all-zero key, so no byte of the real key is left in it.
func TestZeroAEAD(t *testing.T) {
	key := bytes.Repeat([]byte{0xA5}, 32)
	aead, err := NewAEAD(key)
	if err != nil {
		t.Fatal(err)
	}
	zero, err := NewAEAD(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, nonceSize)
	before := aead.Seal(nil, nonce, []byte("x"), nil)
	if bytes.Equal(before, zero.Seal(nil, nonce, []byte("x"), nil)) {
		t.Fatal("a keyed cipher seals like the zero key: the check below would prove nothing")
	}
	ZeroAEAD(aead)
	if got, want := aead.Seal(nil, nonce, []byte("x"), nil), zero.Seal(nil, nonce, []byte("x"), nil); !bytes.Equal(got, want) {
		t.Fatalf("after ZeroAEAD the cipher still seals with its key")
	}
}

func BenchmarkAEADPerOperation(b *testing.B) {
	key := bytes.Repeat([]byte{0xA5}, 32)
	for b.Loop() {
		aead, _ := NewAEAD(key)
		ZeroAEAD(aead)
	}
}

// OpenAppend appends to the caller's buffer, and a value that does not
// authenticate leaves the buffer as it was: the bytes the AEAD decrypted
// into its spare capacity before checking the tag are cleared, so a
// damaged value never hands its (nearly whole) plaintext to the caller.
// A one-byte flip in a stream cipher's ciphertext changes one byte of the
// plaintext, so without the clearing the rest would be there to read.
func TestOpenAppend(t *testing.T) {
	aead, _ := NewAEAD(bytes.Repeat([]byte{7}, 32))
	ad := ItemAD("app:a", "svc", "key", 0)
	value := bytes.Repeat([]byte("the secret value "), 8)
	blob := Seal(aead, value, ad)

	buf := make([]byte, 3, 3+len(value))
	copy(buf, "pre")
	out, err := OpenAppend(buf, aead, blob, ad)
	if err != nil || string(out) != "pre"+string(value) {
		t.Fatalf("OpenAppend = %q, %v", out, err)
	}
	if &out[0] != &buf[0] {
		t.Fatal("OpenAppend allocated although the buffer had room")
	}

	damaged := bytes.Clone(blob)
	damaged[1+nonceSize+5] ^= 1 // a byte of the ciphertext, not of the tag
	buf = buf[:3]
	out, err = OpenAppend(buf, aead, damaged, ad)
	if !errors.Is(err, ErrFormat) || string(out) != "pre" {
		t.Fatalf("OpenAppend of a damaged value = %q, %v; want the buffer unchanged and ErrFormat", out, err)
	}
	spare := buf[3:cap(buf)]
	if bytes.Contains(spare, value[16:32]) {
		t.Fatal("the plaintext of a damaged value was left in the buffer's spare capacity")
	}
	if out, err := OpenAppend(buf, aead, blob[:Overhead-1], ad); !errors.Is(err, ErrFormat) || string(out) != "pre" {
		t.Fatalf("OpenAppend of a truncated blob = %q, %v", out, err)
	}
}
