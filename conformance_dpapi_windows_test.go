package securestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/storetest"
)

// TestConformanceDPAPI runs the conformance suite over the dpapi
// protector, with the real DPAPI (on Windows, or under Wine in CI).
func TestConformanceDPAPI(t *testing.T) {
	storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
		cfg.Protector = "dpapi"
		return securestore.Open(ctx, cfg)
	})
}

// BenchmarkOpenDPAPI measures Open of an existing store under dpapi: one
// CryptUnprotectData per Open (never per operation).
func BenchmarkOpenDPAPI(b *testing.B) {
	dir := filepath.Join(testdir.New(b), "store")
	cfg := securestore.Config{App: "bench", Dir: dir, Protector: "dpapi"}
	s, err := securestore.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	for b.Loop() {
		s, err := securestore.Open(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
