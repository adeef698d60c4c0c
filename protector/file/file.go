package file

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/securestore-go/securestore/internal/fsutil"
	"github.com/securestore-go/securestore/internal/machineid"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/protector"
)

// KeyFileName is the file protector's key file, kept in the store directory.
const KeyFileName = "file-protector.key"

// fileProtector is the protector of last resort for machines with no key store (a
// headless server, a CI runner, a container): a random secret in a 0600 key
// file in the store directory, bound to the machine's identity so that a
// copied directory does not open on another machine.
//
// It defends against the store's database leaking on its own (a backup, a
// synced folder) and against an accidental copy to another machine. It does
// not defend against anyone who can read the user's files on this machine:
// the key file and the machine id sit next to the data. docs/SECURITY.md
// says so in full, and `securestore doctor` names it as the fallback.
type fileProtector struct{}

// New returns the file protector.
func New() protector.Protector { return fileProtector{} }

// machineSources are the machine identities a key file may be bound to;
// tests replace them.
var machineSources = machineid.Platform()

// Name implements protector.Protector.
func (fileProtector) Name() string { return "file" }

// Available implements protector.Protector: a key file works wherever files do.
func (fileProtector) Available(context.Context) error { return nil }

// Wrap implements protector.Protector. The first Wrap in a directory creates its key
// file; every later one, from any process, uses the same file.
func (f fileProtector) Wrap(ctx context.Context, scope protector.Scope, key []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kf, err := loadKeyFile(scope.Dir)
	if errors.Is(err, protector.ErrKeyMissing) {
		kf, err = createKeyFile(scope.Dir)
	}
	if err != nil {
		return nil, err
	}
	defer kf.wipe()
	kek := kf.kek(scope.Store)
	defer clear(kek)
	return protector.SealUnderKEK(kek, key, record.ProtectorAD(f.Name(), scope.Store))
}

// Unwrap implements protector.Protector.
func (f fileProtector) Unwrap(ctx context.Context, scope protector.Scope, blob []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kf, err := loadKeyFile(scope.Dir)
	if err != nil {
		return nil, err
	}
	defer kf.wipe()
	kek := kf.kek(scope.Store)
	defer clear(kek)
	key, err := protector.OpenUnderKEK(kek, blob, record.ProtectorAD(f.Name(), scope.Store))
	if err != nil {
		return nil, fmt.Errorf("file protector: the wrapped device key of %s does not open with %s: %w",
			scope.Store, kf.path, protector.ErrKeyCorrupt)
	}
	return key, nil
}

// Key file layout (docs/FORMAT.md, "file protector key file"):
//
//	"SSKF" | version 1 | len(binding) | binding | secret[32] | check[32] | sum[32]
//
// binding names the machine identity the file is bound to ("machine-id",
// ..., or "none"); check = HMAC-SHA256(secret, machine identity) tells a
// file from another machine apart from a damaged one; sum = SHA-256 of all
// that precedes it.
const (
	keyFileMagic   = "SSKF"
	keyFileVersion = 1
	secretSize     = 32
)

type keyFile struct {
	path    string
	binding string
	secret  []byte
	machine []byte
}

// wipe clears the key file's secret, once the KEK it was loaded for is
// derived: like every other protector's KEK, it does not outlive the call.
func (kf *keyFile) wipe() { clear(kf.secret) }

// kek derives the key that wraps one store's device key: the file's secret
// and the machine's identity, both needed. The caller wipes it.
func (kf *keyFile) kek(store string) []byte {
	k, err := hkdf.Key(sha256.New, kf.secret, kf.machine, "securestore file protector v1\x00"+store, 32)
	if err != nil {
		panic(err)
	}
	return k
}

func machineCheck(secret, machine []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("securestore machine check v1\x00"))
	m.Write(machine)
	return m.Sum(nil)
}

func createKeyFile(dir string) (*keyFile, error) {
	binding, machine := machineid.Current(machineSources)
	secret := make([]byte, secretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	data := encodeKeyFile(binding, secret, machineCheck(secret, machine))
	clear(secret)
	path := filepath.Join(dir, KeyFileName)
	if _, err := fsutil.CreateOnce(path, data); err != nil {
		clear(data)
		return nil, fmt.Errorf("file protector: create %s: %w", path, err)
	}
	clear(data)
	// Whether this process or a concurrent one created it, read back the
	// file that is in place now.
	return loadKeyFile(dir)
}

func loadKeyFile(dir string) (*keyFile, error) {
	path := filepath.Join(dir, KeyFileName)
	if err := fsutil.CheckPrivate(path); err != nil {
		return nil, err
	}
	data, err := fsutil.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("file protector: %s: %w", path, protector.ErrKeyMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("file protector: %w", err)
	}
	defer clear(data)
	binding, secret, check, ok := parseKeyFile(data)
	if !ok {
		return nil, fmt.Errorf("file protector: %s is damaged: %w", path, protector.ErrKeyCorrupt)
	}
	machine, err := machineid.Read(machineSources, binding)
	if err != nil {
		clear(secret)
		return nil, fmt.Errorf("file protector: %s is bound to this machine's %s, which cannot be read: %v: %w",
			path, binding, err, protector.ErrWrongMachine)
	}
	if !hmac.Equal(machineCheck(secret, machine), check) {
		clear(secret)
		return nil, fmt.Errorf("file protector: %s was made on another machine (its %s differs); "+
			"a copied store directory does not open elsewhere, move items with export and import: %w",
			path, binding, protector.ErrWrongMachine)
	}
	fsutil.RemoveStaleTemps(path, time.Minute)
	return &keyFile{path: path, binding: binding, secret: secret, machine: machine}, nil
}

// encodeKeyFile lays out a key file: header, binding, secret, check and
// the SHA-256 sum of all that. The caller wipes the result.
func encodeKeyFile(binding string, secret, check []byte) []byte {
	b := make([]byte, 0, 6+len(binding)+len(secret)+len(check)+sha256.Size)
	b = append(b, keyFileMagic...)
	b = append(b, keyFileVersion, byte(len(binding)))
	b = append(b, binding...)
	b = append(b, secret...)
	b = append(b, check...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// parseKeyFile splits the bytes of a key file into its binding, secret
// (a copy, which the caller wipes) and machine check, after checking the
// magic, version, length and sum. It reads nothing else: whether the
// binding names a machine identity, and whether the check matches it, is
// loadKeyFile's business. ok is false for anything but a well-formed,
// undamaged file; a damaged file gets no more specific diagnosis.
func parseKeyFile(data []byte) (binding string, secret, check []byte, ok bool) {
	if len(data) < 6 || string(data[:4]) != keyFileMagic || data[4] != keyFileVersion {
		return "", nil, nil, false
	}
	bl := int(data[5])
	if len(data) != 6+bl+secretSize+2*sha256.Size {
		return "", nil, nil, false
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if want := sha256.Sum256(body); !hmac.Equal(want[:], sum) {
		return "", nil, nil, false
	}
	binding = string(data[6 : 6+bl])
	secret = bytes.Clone(data[6+bl : 6+bl+secretSize])
	check = bytes.Clone(data[6+bl+secretSize : 6+bl+secretSize+sha256.Size])
	return binding, secret, check, true
}
