package record

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets of the record format. Sealed blobs and encrypted names
// are read back from a database file that anyone with write access to it
// can change, so every byte Open and DecodeName see is untrusted. docs/
// FUZZING.md says how to run these for longer.

// fuzzKey and otherKey are fixed keys: the fuzzer cannot learn a key, so
// the only blobs that can open are the genuine ones the seeds hold and
// what it derives from them.
var (
	fuzzKey  = bytes.Repeat([]byte{0x5e}, 32)
	otherKey = bytes.Repeat([]byte{0xa1}, 32)
)

// FuzzOpen feeds Open arbitrary blobs and associated data under a fixed
// key. It checks that Open never panics, fails only with ErrFormat, and
// authenticates nothing but a canonical seal: whatever opens must be
// exactly what Seal makes of the plaintext with the blob's own nonce and
// this ad (no second version byte, no trailing bytes, no other
// encoding), and must not open under another ad or another key.
func FuzzOpen(f *testing.F) {
	aead, _ := NewAEAD(fuzzKey)
	for _, ad := range [][]byte{
		nil,
		ItemAD("app:com.example.notes", "app", "token", 0),
		NameAD("app:com.example.notes", bytes.Repeat([]byte{1}, 32)),
		ClassKeyAD("group:team.shared", 3, 1),
		ProtectorAD("file", "app:com.example.notes"),
	} {
		for _, pt := range []string{"", "s", "a 2048-byte value would be here"} {
			f.Add(Seal(aead, []byte(pt), ad), ad)
		}
	}
	f.Add([]byte{Version}, []byte(nil))
	f.Add(bytes.Repeat([]byte{Version}, Overhead), []byte("ad"))

	other, _ := NewAEAD(otherKey)
	f.Fuzz(func(t *testing.T, blob, ad []byte) {
		pt, err := Open(aead, blob, ad)
		if err != nil {
			if !errors.Is(err, ErrFormat) || pt != nil {
				t.Fatalf("Open failed with %v and %d bytes, want ErrFormat and nothing", err, len(pt))
			}
			return
		}
		// blob = Version ‖ nonce ‖ ciphertext ‖ tag: re-seal with that nonce.
		nonce := blob[1 : 1+nonceSize]
		again := aead.Seal(append([]byte{Version}, nonce...), nonce, pt, ad)
		if !bytes.Equal(again, blob) {
			t.Fatalf("a %d-byte blob opened but is not the seal of its %d-byte plaintext", len(blob), len(pt))
		}
		if _, err := Open(aead, blob, append(bytes.Clone(ad), 0)); err == nil {
			t.Fatal("the blob also opens under its ad with a byte appended")
		}
		if len(ad) > 0 {
			if _, err := Open(aead, blob, ad[:len(ad)-1]); err == nil {
				t.Fatal("the blob also opens under its ad less its last byte")
			}
		}
		if _, err := Open(other, blob, ad); err == nil {
			t.Fatal("the blob also opens under another key")
		}
	})
}

// FuzzSealTamper seals a fuzzed plaintext under fuzzed associated data,
// then changes the blob or the ad as the fuzzer says: one byte xored,
// bytes cut off the end or appended, one ad byte xored. It checks that
// the untouched blob opens to the plaintext and that every change, any
// byte anywhere, makes Open fail: the property the store's tamper
// evidence rests on.
func FuzzSealTamper(f *testing.F) {
	f.Add([]byte("secret"), ItemAD("app:a", "svc", "key", 0), uint16(0), byte(1), uint8(0), byte(0))
	f.Add([]byte(""), []byte(nil), uint16(24), byte(0x80), uint8(1), byte(0))
	f.Add(bytes.Repeat([]byte("v"), 2048), NameAD("group:g", []byte("id")), uint16(3000), byte(0), uint8(0), byte(0x20))
	f.Add([]byte{0}, ClassKeyAD("app:a", 2, 0), uint16(7), byte(0), uint8(200), byte(0))

	aead, _ := NewAEAD(fuzzKey)
	f.Fuzz(func(t *testing.T, pt, ad []byte, pos uint16, flip byte, resize uint8, adFlip byte) {
		blob := Seal(aead, pt, ad)
		got, err := Open(aead, blob, ad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("a fresh seal of %d bytes does not open back: %v", len(pt), err)
		}
		changed := bytes.Clone(blob)
		changed[int(pos)%len(changed)] ^= flip
		switch {
		case resize == 0:
		case resize < 128: // cut bytes off the end
			changed = changed[:len(changed)-min(int(resize), len(changed))]
		default: // append bytes
			changed = append(changed, bytes.Repeat([]byte{resize}, int(resize-127))...)
		}
		if !bytes.Equal(changed, blob) {
			if _, err := Open(aead, changed, ad); !errors.Is(err, ErrFormat) {
				t.Fatalf("a changed blob opens (byte %d xor %#x, resize %d): %v", int(pos)%len(blob), flip, resize, err)
			}
		}
		if adFlip != 0 {
			otherAD := bytes.Clone(ad)
			if len(otherAD) == 0 {
				otherAD = []byte{adFlip}
			} else {
				otherAD[int(pos)%len(otherAD)] ^= adFlip
			}
			if _, err := Open(aead, blob, otherAD); !errors.Is(err, ErrFormat) {
				t.Fatalf("the blob opens under a changed ad: %v", err)
			}
		}
	})
}

// FuzzDecodeName checks the encoding of an item's name both ways:
// DecodeName of any bytes either fails with ErrFormat or returns the one
// (service, key) that EncodeName turns back into exactly those bytes (so
// no two encodings name one item), and DecodeName(EncodeName(s, k)) is
// (s, k) for any strings, empty or not UTF-8 included.
func FuzzDecodeName(f *testing.F) {
	f.Add(EncodeName("app", "token"), "app", "token")
	f.Add(EncodeName("", ""), "", "")
	f.Add(EncodeName("git", "https_github.com_0123456789abcdef0123456789abcdef"), "a\x00b", "\xff")
	f.Add([]byte{0, 0, 0, 1, 'a', 0, 0, 0}, "x", "")
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, "", "y")
	f.Add(append(EncodeName("s", "k"), 0), "s", "k")

	f.Fuzz(func(t *testing.T, b []byte, service, key string) {
		s, k, err := DecodeName(b)
		switch {
		case err != nil && !errors.Is(err, ErrFormat):
			t.Fatalf("DecodeName(%x) failed with %v, want ErrFormat", b, err)
		case err == nil && !bytes.Equal(EncodeName(s, k), b):
			t.Fatalf("DecodeName(%x) = %q, %q, which encode as %x", b, s, k, EncodeName(s, k))
		}
		s, k, err = DecodeName(EncodeName(service, key))
		if err != nil || s != service || k != key {
			t.Fatalf("DecodeName(EncodeName(%q, %q)) = %q, %q, %v", service, key, s, k, err)
		}
	})
}

// FuzzAssociatedData checks that the associated data is injective: two
// items get the same ItemAD only if store, service, key and class are all
// the same, and no ItemAD equals a NameAD, ClassKeyAD or ProtectorAD. A
// collision would let a sealed value be moved onto another item, or a
// blob of one kind open as another, unnoticed.
func FuzzAssociatedData(f *testing.F) {
	f.Add("app:a", "svc", "key", uint8(0), "app:a", "svc", "key", uint8(1))
	f.Add("app:a", "svc", "key", uint8(0), "app:a", "svck", "ey", uint8(0))
	f.Add("app:ab", "", "c", uint8(2), "app:a", "b", "c", uint8(2))
	f.Add("", "", "", uint8(0), "", "", "", uint8(0))

	f.Fuzz(func(t *testing.T, store1, service1, key1 string, class1 uint8, store2, service2, key2 string, class2 uint8) {
		a, b := ItemAD(store1, service1, key1, class1), ItemAD(store2, service2, key2, class2)
		same := store1 == store2 && service1 == service2 && key1 == key2 && class1 == class2
		if bytes.Equal(a, b) != same {
			t.Fatalf("ItemAD(%q, %q, %q, %d) and ItemAD(%q, %q, %q, %d): equal %v, want %v",
				store1, service1, key1, class1, store2, service2, key2, class2, !same, same)
		}
		for _, other := range [][]byte{
			NameAD(store2, []byte(service2+key2)),
			ClassKeyAD(store2, class2, class1),
			ProtectorAD(service2, store2),
		} {
			if bytes.Equal(a, other) {
				t.Fatalf("ItemAD(%q, %q, %q, %d) equals the ad of another kind of record", store1, service1, key1, class1)
			}
		}
	})
}
