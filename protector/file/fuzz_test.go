package file

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore/internal/machineid"
	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/protector"
)

// The fuzz target of what the file protector reads back: its key file, bytes that anyone
// who can write the user's files may change.

// FuzzParseKeyFile checks the key file parser both ways, and the loader
// that uses it:
//   - parseKeyFile of any bytes either fails or returns a 32-byte secret
//     and check that encodeKeyFile lays out as exactly those bytes, so
//     that a file parses only when its SHA-256 sum is right;
//   - parseKeyFile(encodeKeyFile(b, s, c)) gives back b, s and c;
//   - loadKeyFile of the bytes, as the key file of a directory, succeeds
//     exactly when they parse, name a machine identity this machine has
//     and carry its check; otherwise it fails with protector.ErrKeyCorrupt when they
//     do not parse and protector.ErrWrongMachine when they do.
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
	f.Add(encodeKeyFile(machineid.None, secret, machineCheck(secret, nil)), machineid.None, []byte{})
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
		wantOK := ok && (b == "machine-id" || b == machineid.None) && bytes.Equal(c, machineCheck(s, id))
		switch {
		case wantOK && err != nil:
			t.Fatalf("loadKeyFile of a good key file bound to %q: %v", b, err)
		case wantOK && !bytes.Equal(loaded.secret, s):
			t.Fatal("loadKeyFile returned another secret than the file holds")
		case !wantOK && err == nil:
			t.Fatalf("loadKeyFile accepted a key file that parses %v, bound to %q", ok, b)
		case !wantOK && !ok && !errors.Is(err, protector.ErrKeyCorrupt):
			t.Fatalf("loadKeyFile of a damaged file: %v, want protector.ErrKeyCorrupt", err)
		case !wantOK && ok && !errors.Is(err, protector.ErrWrongMachine):
			t.Fatalf("loadKeyFile of a file of another machine: %v, want protector.ErrWrongMachine", err)
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
