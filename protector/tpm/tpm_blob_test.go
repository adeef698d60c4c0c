package tpm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/securestore-go/securestore/protector"
)

func sampleTPMBlob() *tpmBlob {
	return &tpmBlob{
		parent:  tpmParentECC,
		public:  []byte{0, 3, 1, 2, 3},
		private: []byte{0, 2, 4, 5},
		sealed:  bytes.Repeat([]byte{7}, 73),
	}
}

// TestTPMBlobFormat: a blob parses back into its parts, and every
// truncation, wrong version or unknown parent is protector.ErrKeyCorrupt (an empty
// blob is protector.ErrKeyMissing), never a panic or a shorter key.
func TestTPMBlobFormat(t *testing.T) {
	want := sampleTPMBlob()
	enc := want.encode()
	got, err := parseTPMBlob(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got.parent != want.parent || !bytes.Equal(got.public, want.public) ||
		!bytes.Equal(got.private, want.private) || !bytes.Equal(got.sealed, want.sealed) {
		t.Fatalf("round trip: got %+v, want %+v", got, want)
	}
	if _, err := parseTPMBlob(nil); !errors.Is(err, protector.ErrKeyMissing) {
		t.Errorf("empty blob: %v, want protector.ErrKeyMissing", err)
	}
	for n := 1; n < len(enc)-len(want.sealed)+40; n++ { // every cut that leaves less than a sealed key
		if _, err := parseTPMBlob(enc[:n]); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Errorf("blob cut to %d bytes: %v, want protector.ErrKeyCorrupt", n, err)
		}
	}
	for _, mutate := range []func([]byte){
		func(b []byte) { b[0] = 2 },    // unknown version
		func(b []byte) { b[1] = 0 },    // unknown parent
		func(b []byte) { b[1] = 3 },    // unknown parent
		func(b []byte) { b[3] = 0xff }, // public size beyond the blob
		func(b []byte) { b[2], b[3] = 0, 0 },
	} {
		b := bytes.Clone(enc)
		mutate(b)
		if _, err := parseTPMBlob(b); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Errorf("mutated blob %x: %v, want protector.ErrKeyCorrupt", b[:6], err)
		}
	}
}

// FuzzParseTPMBlob: any bytes parse or fail with a protector sentinel, and
// what parses encodes back to the same bytes.
func FuzzParseTPMBlob(f *testing.F) {
	f.Add(sampleTPMBlob().encode())
	f.Add([]byte{1, 2, 0, 1, 9, 0, 1, 9})
	f.Fuzz(func(t *testing.T, blob []byte) {
		b, err := parseTPMBlob(blob)
		if err != nil {
			if !errors.Is(err, protector.ErrKeyCorrupt) && !errors.Is(err, protector.ErrKeyMissing) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if !bytes.Equal(b.encode(), blob) {
			t.Fatalf("re-encoding differs")
		}
	})
}
