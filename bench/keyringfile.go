package bench

import (
	"context"
	"fmt"
	"runtime"

	"github.com/99designs/keyring"
)

// KeyringFile is github.com/99designs/keyring with its encrypted-file
// backend, the one it uses on headless machines: one JWE file per item,
// each sealed under a key derived from the passphrase with PBES2
// (PBKDF2-SHA256, 8192 iterations in jose2go) on every Set and Get.
type KeyringFile struct {
	kr keyring.Keyring
}

// kfPassphrase protects nothing real; it is given by a function, as an
// application that does not prompt gives it.
const kfPassphrase = "storebench throwaway passphrase"

// OpenKeyringFile opens a file keyring in dir.
func OpenKeyringFile(dir string) (*KeyringFile, error) {
	kr, err := keyring.Open(keyring.Config{
		ServiceName:      Service,
		AllowedBackends:  []keyring.BackendType{keyring.FileBackend},
		FileDir:          dir,
		FilePasswordFunc: keyring.FixedStringPrompt(kfPassphrase),
	})
	if err != nil {
		return nil, err
	}
	return &KeyringFile{kr: kr}, nil
}

// Name implements Store.
func (*KeyringFile) Name() string { return "99designs-file" }

// Set implements Store.
func (k *KeyringFile) Set(_ context.Context, key, value string) error {
	return k.kr.Set(keyring.Item{Key: key, Data: []byte(value)})
}

// Get implements Store.
func (k *KeyringFile) Get(_ context.Context, key string) (string, error) {
	it, err := k.kr.Get(key)
	if err != nil {
		return "", err
	}
	return string(it.Data), nil
}

// Delete implements Store.
func (k *KeyringFile) Delete(_ context.Context, key string) error { return k.kr.Remove(key) }

// List implements Store: the file names in the directory, no decryption.
func (k *KeyringFile) List(context.Context) ([]string, error) { return k.kr.Keys() }

// Close implements Store.
func (*KeyringFile) Close() error { return nil }

// Limits implements Limited.
func (*KeyringFile) Limits() Limits {
	return Limits{Serial: "the file backend documents no concurrent use and has no locking; " +
		"its first call stores the passphrase in an unguarded field (a data race under -race)"}
}

// Fill implements BulkFiller: its own Set, on every core. The first Set
// runs alone, so the passphrase is cached before the goroutines start
// (see Limits); after that they only read it.
func (k *KeyringFile) Fill(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := k.Set(ctx, keys[0], Value(keys[0])); err != nil {
		return err
	}
	return setAll(ctx, k, keys[1:], runtime.NumCPU())
}

// FillMethod implements BulkFiller.
func (*KeyringFile) FillMethod() string {
	return fmt.Sprintf("its own Set from %d goroutines (one per core; PBKDF2 is CPU-bound)", runtime.NumCPU())
}
