package dpapi_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

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

// BenchmarkOpenDPAPI measures Open (and Close) of an existing store under
// dpapi, one CryptUnprotectData per Open (never per operation), beside the
// file protector in the same process and Wine prefix, each with its p50:
//
//	.ci/with-wine env GOOS=windows GOARCH=amd64 go test -run '^$' -bench OpenDPAPI -count 3 ./protector/dpapi/
func BenchmarkOpenDPAPI(b *testing.B) {
	for _, name := range []string{"dpapi", "file"} {
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(testdir.New(b), "store")
			cfg := securestore.Config{App: "bench", Dir: dir, Protector: name}
			s, err := securestore.Open(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
			var samples []time.Duration
			for b.Loop() {
				start := time.Now()
				s, err := securestore.Open(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
				samples = append(samples, time.Since(start))
			}
			slices.Sort(samples)
			b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "p50-ns")
		})
	}
}
