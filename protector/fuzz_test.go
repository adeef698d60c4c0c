package protector

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore/internal/testdir"
)

// The fuzz targets of what the protectors read back from disk: the file
// protector's key file, and the blobs the dpapi and keychain protectors
// keep in the store's database. All of them are bytes that anyone who can
// write the user's files may change.

// FuzzParseKeyFile checks the key file parser both ways, and the loader
// that uses it:
//   - parseKeyFile of any bytes either fails or returns a 32-byte secret
//     and check that encodeKeyFile lays out as exactly those bytes, so
//     that a file parses only when its SHA-256 sum is right;
//   - parseKeyFile(encodeKeyFile(b, s, c)) gives back b, s and c;
//   - loadKeyFile of the bytes, as the key file of a directory, succeeds
//     exactly when they parse, name a machine identity this machine has
//     and carry its check; otherwise it fails with ErrKeyCorrupt when they
//     do not parse and ErrWrongMachine when they do.
func FuzzParseKeyFile(f *testing.F) {
	const machine = "fuzz-machine-0123456789abcdef"
	fakeMachine(f, machine)
	dir := testdir.New(f)
	kf, err := createKeyFile(dir)
	if err != nil {
		f.Fatal(err)
	}
	genuine, err := os.ReadFile(kf.path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine, "machine-id", []byte("secret"))
	secret := bytes.Repeat([]byte{9}, secretSize)
	f.Add(encodeKeyFile(bindingNone, secret, machineCheck(secret, nil)), bindingNone, []byte{})
	f.Add(encodeKeyFile("machine-guid", secret, secret), "", []byte{1, 2, 3})
	f.Add(genuine[:len(genuine)-1], "x", []byte(nil))
	f.Add([]byte("SSKF\x01\xff"), "kern.hostuuid", []byte(nil))

	path := filepath.Join(dir, KeyFileName)
	f.Fuzz(func(t *testing.T, data []byte, binding string, material []byte) {
		b, s, c, ok := parseKeyFile(data)
		if ok {
			if len(s) != secretSize || len(c) != sha256.Size {
				t.Fatalf("parseKeyFile gave a %d-byte secret and a %d-byte check", len(s), len(c))
			}
			if again := encodeKeyFile(b, s, c); !bytes.Equal(again, data) {
				t.Fatalf("parseKeyFile accepted %d bytes that do not re-encode as themselves", len(data))
			}
		}

		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		loaded, err := loadKeyFile(dir)
		var id []byte // the identity the binding names here: fakeMachine's, or none
		if b == "machine-id" {
			id = []byte(machine)
		}
		wantOK := ok && (b == "machine-id" || b == bindingNone) && bytes.Equal(c, machineCheck(s, id))
		switch {
		case wantOK && err != nil:
			t.Fatalf("loadKeyFile of a good key file bound to %q: %v", b, err)
		case wantOK && !bytes.Equal(loaded.secret, s):
			t.Fatal("loadKeyFile returned another secret than the file holds")
		case !wantOK && err == nil:
			t.Fatalf("loadKeyFile accepted a key file that parses %v, bound to %q", ok, b)
		case !wantOK && !ok && !errors.Is(err, ErrKeyCorrupt):
			t.Fatalf("loadKeyFile of a damaged file: %v, want ErrKeyCorrupt", err)
		case !wantOK && ok && !errors.Is(err, ErrWrongMachine):
			t.Fatalf("loadKeyFile of a file of another machine: %v, want ErrWrongMachine", err)
		}

		// The other way round: any binding a byte can count, any secret
		// and check.
		if len(binding) > 255 {
			return
		}
		s = bytes.Repeat(append(bytes.Clone(material), 1), secretSize)[:secretSize]
		c = bytes.Repeat(append(bytes.Clone(material), 2), sha256.Size)[:sha256.Size]
		b2, s2, c2, ok := parseKeyFile(encodeKeyFile(binding, s, c))
		if !ok || b2 != binding || !bytes.Equal(s2, s) || !bytes.Equal(c2, c) {
			t.Fatalf("parseKeyFile(encodeKeyFile(%q, ...)) = %q, %v", binding, b2, ok)
		}
	})
}

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

// FuzzSplitKeychainBlob checks the keychain protector's blob: any bytes
// either fail to split or name a 16-byte item id that appendKeychainBlob
// turns back into exactly the input; every 16-byte id splits back out.
func FuzzSplitKeychainBlob(f *testing.F) {
	id := []byte("0123456789abcdef")
	f.Add(appendKeychainBlob(id), id)
	f.Add([]byte("SSKC\x02"+string(id)), []byte{})
	f.Add([]byte("SSKC\x01"), []byte("short"))

	f.Fuzz(func(t *testing.T, blob, id []byte) {
		got, ok := splitKeychainBlob(blob)
		if ok && (len(got) != keychainIDSize || !bytes.Equal(appendKeychainBlob(got), blob)) {
			t.Fatalf("splitKeychainBlob(%x) = %x, which is not the blob's id", blob, got)
		}
		if !ok && got != nil {
			t.Fatal("splitKeychainBlob failed but returned an id")
		}
		if len(id) != keychainIDSize {
			return
		}
		if got, ok := splitKeychainBlob(appendKeychainBlob(id)); !ok || !bytes.Equal(got, id) {
			t.Fatalf("split(append(%x)) = %x, %v", id, got, ok)
		}
	})
}
