package main

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

	"github.com/securestore-go/securestore/protector"
)

// testKMS stands in the scripts for a second protector beside the real
// key file, as a platform key store would on a desktop: each Wrap keeps a
// key-encryption key in a file of its own (test-kms-ID.key in the store
// directory), the blob is the ID and the device key XORed with it, and
// Remove deletes the file. $SECURESTORE_TEST_KMS=down makes it
// unavailable. It is registered only in the test binary, after file, so
// "auto" never picks it.
type testKMS struct{}

func init() { protector.Register(testKMS{}, protector.PreferenceFallback+1) }

func (testKMS) Name() string { return "test-kms" }

func (testKMS) Available(context.Context) error {
	if os.Getenv("SECURESTORE_TEST_KMS") == "down" {
		return fmt.Errorf("test-kms protector: the service is down: %w", protector.ErrUnavailable)
	}
	return nil
}

func (testKMS) path(scope protector.Scope, id []byte) string {
	return filepath.Join(scope.Dir, "test-kms-"+hex.EncodeToString(id)+".key")
}

func (k testKMS) Wrap(_ context.Context, scope protector.Scope, key []byte) ([]byte, error) {
	id, kek := make([]byte, 8), make([]byte, len(key))
	rand.Read(id)
	rand.Read(kek)
	if err := os.WriteFile(k.path(scope, id), kek, 0o600); err != nil {
		return nil, err
	}
	blob := append([]byte(nil), id...)
	for i := range key {
		blob = append(blob, key[i]^kek[i])
	}
	return blob, nil
}

func (k testKMS) Unwrap(_ context.Context, scope protector.Scope, blob []byte) ([]byte, error) {
	if len(blob) < 9 {
		return nil, protector.ErrKeyCorrupt
	}
	kek, err := os.ReadFile(k.path(scope, blob[:8]))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("test-kms protector: no key %x: %w", blob[:8], protector.ErrKeyMissing)
	}
	if err != nil || len(kek) != len(blob)-8 {
		return nil, protector.ErrKeyCorrupt
	}
	key := bytes.Clone(blob[8:])
	for i := range key {
		key[i] ^= kek[i]
	}
	return key, nil
}

func (k testKMS) Remove(_ context.Context, scope protector.Scope, blob []byte) error {
	if len(blob) < 8 {
		return protector.ErrKeyCorrupt
	}
	if err := os.Remove(k.path(scope, blob[:8])); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
