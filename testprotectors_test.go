package securestore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/protector"
)

// Protectors that stand beside the real ones in these tests. They are
// registered after the file protector, so "auto" never picks them: a test
// names them.
func init() {
	const late = protector.PreferenceFallback + 1000
	protector.Register(testKMS{}, late)
	protector.Register(unavailable{}, late)
	protector.Register(failing{failWrap: true}, late)
	protector.Register(failing{}, late)
}

// testKMS is a stateful protector, like a keychain or a cloud KMS: each
// Wrap makes a new key-encryption key and keeps it in a file of its own
// (test-kms-ID.key in the store directory), the blob holds the ID and the
// sealed device key, and Remove deletes the file.
type testKMS struct{}

func (testKMS) Name() string                    { return "test-kms" }
func (testKMS) Available(context.Context) error { return nil }

func (testKMS) path(scope protector.Scope, id []byte) string {
	return filepath.Join(scope.Dir, "test-kms-"+hex.EncodeToString(id)+".key")
}

func (k testKMS) Wrap(_ context.Context, scope protector.Scope, key []byte) ([]byte, error) {
	id, kek := make([]byte, 8), make([]byte, 32)
	rand.Read(id)
	rand.Read(kek)
	if err := os.WriteFile(k.path(scope, id), kek, 0o600); err != nil {
		return nil, err
	}
	aead, _ := record.NewAEAD(kek)
	return append(id, record.Seal(aead, key, record.ProtectorAD(k.Name(), scope.Store))...), nil
}

func (k testKMS) Unwrap(_ context.Context, scope protector.Scope, blob []byte) ([]byte, error) {
	if len(blob) < 8 {
		return nil, protector.ErrKeyCorrupt
	}
	kek, err := os.ReadFile(k.path(scope, blob[:8]))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("test-kms: %w", protector.ErrKeyMissing)
	}
	if err != nil {
		return nil, err
	}
	aead, err := record.NewAEAD(kek)
	if err != nil {
		return nil, protector.ErrKeyCorrupt
	}
	key, err := record.Open(aead, blob[8:], record.ProtectorAD(k.Name(), scope.Store))
	if err != nil {
		return nil, fmt.Errorf("test-kms: %w", protector.ErrKeyCorrupt)
	}
	return key, nil
}

func (k testKMS) Remove(_ context.Context, scope protector.Scope, blob []byte) error {
	if len(blob) < 8 {
		return protector.ErrKeyCorrupt
	}
	err := os.Remove(k.path(scope, blob[:8]))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (k testKMS) Describe(scope protector.Scope) protector.Description {
	files, _ := filepath.Glob(filepath.Join(scope.Dir, "test-kms-*.key"))
	return protector.Description{Files: files, Verdict: "test KMS: protects nothing"}
}

// testKMSFiles lists the key files testKMS keeps in dir.
func testKMSFiles(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "test-kms-*.key"))
	return files
}

// unavailable is a protector that is never available, as a TPM is on a
// machine without one.
type unavailable struct{}

func (unavailable) Name() string { return "test-unavailable" }
func (unavailable) Available(context.Context) error {
	return fmt.Errorf("test-unavailable: no such device: %w", protector.ErrUnavailable)
}
func (unavailable) Wrap(context.Context, protector.Scope, []byte) ([]byte, error) {
	return nil, errors.New("test-unavailable: Wrap called")
}
func (unavailable) Unwrap(context.Context, protector.Scope, []byte) ([]byte, error) {
	return nil, errors.New("test-unavailable: Unwrap called")
}

// failing is available but broken: Wrap fails (failWrap), or Wrap
// succeeds and Unwrap returns another key than the one wrapped.
type failing struct{ failWrap bool }

func (f failing) Name() string {
	if f.failWrap {
		return "test-failing-wrap"
	}
	return "test-wrong-key"
}
func (failing) Available(context.Context) error { return nil }
func (f failing) Wrap(_ context.Context, _ protector.Scope, key []byte) ([]byte, error) {
	if f.failWrap {
		return nil, errors.New("test-failing-wrap: the service fell over")
	}
	return bytes.Clone(key), nil
}
func (failing) Unwrap(_ context.Context, _ protector.Scope, blob []byte) ([]byte, error) {
	wrong := bytes.Clone(blob)
	wrong[0] ^= 1
	return wrong, nil
}
