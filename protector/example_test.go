package protector_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/protector"
	"github.com/securestore-go/securestore/storetest"
)

// toyKMS stands for a remote key service: it keeps one key-encryption key
// per wrapped device key, and the blob names it. (A real one would call a
// cloud KMS or a hardware token; this one keeps its keys in memory.)
type toyKMS struct {
	mu   sync.Mutex
	keks map[string][]byte
}

func (*toyKMS) Name() string                    { return "toy-kms" }
func (*toyKMS) Available(context.Context) error { return nil }

// Wrap seals key under a new KEK with AES-GCM, binding the store's
// identity as additional data. Blob: id[16] | nonce | ciphertext.
func (k *toyKMS) Wrap(ctx context.Context, s protector.Scope, key []byte) ([]byte, error) {
	id, kek := make([]byte, 16), make([]byte, 32)
	rand.Read(id)
	rand.Read(kek)
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.keks[string(id)] = kek
	k.mu.Unlock()
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	blob := append(id, nonce...)
	return aead.Seal(blob, nonce, key, []byte(s.Store)), nil
}

func (k *toyKMS) Unwrap(ctx context.Context, s protector.Scope, blob []byte) ([]byte, error) {
	if len(blob) < 16+12 {
		return nil, fmt.Errorf("toy-kms: short blob: %w", protector.ErrKeyCorrupt)
	}
	k.mu.Lock()
	kek, ok := k.keks[string(blob[:16])]
	k.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("toy-kms: unknown key: %w", protector.ErrKeyMissing)
	}
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	key, err := aead.Open(nil, blob[16:28], blob[28:], []byte(s.Store))
	if err != nil {
		return nil, fmt.Errorf("toy-kms: %w", protector.ErrKeyCorrupt)
	}
	return key, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func init() {
	// After the key file: "auto" never picks it; stores that name it do.
	protector.Register(&toyKMS{keks: map[string][]byte{}}, protector.PreferenceFallback+100)
}

// A protector of your own: register it (here in init, above), then name it
// in Config.Protector.
func Example_customProtector() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "securestore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := securestore.Open(ctx, securestore.Config{App: "com.example.notes", Dir: dir, Protector: "toy-kms"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.SetItem(ctx, "token", "s3cret", nil); err != nil {
		log.Fatal(err)
	}
	token, _ := s.GetItem(ctx, "token", nil)
	info, _ := s.Info(ctx)
	fmt.Println(token, info.Protector)
	// Output: s3cret toy-kms
}

// TestToyKMSConformance runs the whole conformance suite over the
// example's protector: what a custom protector's own test looks like.
func TestToyKMSConformance(t *testing.T) {
	storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
		cfg.Protector = "toy-kms"
		return securestore.Open(ctx, cfg)
	})
}

// TestToyKMSScope: a blob wrapped for one store does not unwrap for another.
func TestToyKMSScope(t *testing.T) {
	p, err := protector.Registered().Lookup("toy-kms")
	if err != nil {
		t.Fatal(err)
	}
	blob, err := p.Wrap(context.Background(), protector.Scope{Store: "app:a"}, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Unwrap(context.Background(), protector.Scope{Store: "app:b"}, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("Unwrap for another store: %v", err)
	}
}
