package dpapi

import (
	"bytes"
	"testing"
)

// The fuzz target of what the dpapi protector reads back: the blob it keeps in the store's database, bytes that anyone
// who can write the user's files may change.

// FuzzSplitDPAPIBlob checks the dpapi protector's blob framing: any bytes
// either fail to split, or split into a non-empty DPAPI part and the rest
// that appendDPAPIBlob joins back into exactly the input; and any two
// parts (the DPAPI one non-empty) split back out of what appendDPAPIBlob
// makes of them.
func FuzzSplitDPAPIBlob(f *testing.F) {
	// Wine's CryptProtectData output for a 32-byte KEK is 230 bytes; any
	// bytes serve here, since only the framing is parsed.
	protected := append([]byte{1, 0, 0, 0, 0xd0, 0x8c, 0x9d, 0xdf, 1, 0x15, 0xd1, 0x11}, bytes.Repeat([]byte{0x8c}, 218)...)
	f.Add(appendDPAPIBlob(protected, bytes.Repeat([]byte{0x42}, 41+32)), protected, []byte("sealed"))
	f.Add(appendDPAPIBlob([]byte{1}, nil), []byte{}, []byte{})
	f.Add([]byte("SSDP\x01\x00\x00\x00\x00"), []byte{0}, []byte(nil))
	f.Add([]byte("SSDP\x01\xff\xff\xff\xff"), []byte(nil), []byte{1})

	f.Fuzz(func(t *testing.T, blob, protected, sealed []byte) {
		p, s, why := splitDPAPIBlob(blob)
		if why == "" {
			if len(p) == 0 {
				t.Fatal("splitDPAPIBlob accepted an empty DPAPI part")
			}
			if again := appendDPAPIBlob(p, s); !bytes.Equal(again, blob) {
				t.Fatalf("splitDPAPIBlob(%x) = %x, %x, which join as %x", blob, p, s, again)
			}
		} else if p != nil || s != nil {
			t.Fatalf("splitDPAPIBlob failed (%s) but returned parts", why)
		}
		if len(protected) == 0 {
			return
		}
		p, s, why = splitDPAPIBlob(appendDPAPIBlob(protected, sealed))
		if why != "" || !bytes.Equal(p, protected) || !bytes.Equal(s, sealed) {
			t.Fatalf("split(append(%x, %x)) = %x, %x, %q", protected, sealed, p, s, why)
		}
	})
}
