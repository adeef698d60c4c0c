//go:build unix

package securestore_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/servicetest"
)

// benchProtectors are the protectors the benchmarks compare. file needs
// nothing; the others need their service, as in the tests:
//
//	.ci/with-secret-service .ci/with-swtpm go test -run '^$' -bench 'Open|GetItem' .
var benchProtectors = []string{"file", "tpm", "secretservice"}

// benchNeeds stops a benchmark whose protector's service is not running.
func benchNeeds(b *testing.B, name string) {
	switch name {
	case "tpm":
		servicetest.SharedTPM(b)
	case "secretservice":
		if os.Getenv("SECURESTORE_TEST_SECRET_SERVICE") != "1" {
			servicetest.Missing(b, "Secret Service", "$SECURESTORE_TEST_SECRET_SERVICE is not 1", ".ci/with-secret-service go test -bench Open .")
		}
	}
}

// benchStore creates a store protected by name holding one item, and
// returns the Config that opens it.
func benchStore(b *testing.B, name string) securestore.Config {
	cfg := securestore.Config{App: "com.example.bench", Dir: filepath.Join(b.TempDir(), "store"), Protector: name}
	st, err := securestore.Open(context.Background(), cfg)
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	defer st.Close()
	if err := st.SetItem(context.Background(), "token", "s3cret", nil); err != nil {
		b.Fatal(err)
	}
	return cfg
}

// reportP50 adds the median of the timed samples, which unlike the mean
// is not moved by the odd slow fsync or scheduling hiccup.
func reportP50(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "p50-ns")
}

// BenchmarkProtectorOpen times Open (and Close) of an existing store: the
// protector's Unwrap of the device key, once per Open, plus opening the
// database and unwrapping the class keys.
func BenchmarkProtectorOpen(b *testing.B) {
	for _, name := range benchProtectors {
		b.Run(name, func(b *testing.B) {
			benchNeeds(b, name)
			cfg := benchStore(b, name)
			ctx := context.Background()
			samples := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				st, err := securestore.Open(ctx, cfg)
				if err != nil {
					b.Fatal(err)
				}
				st.Close()
				samples = append(samples, time.Since(start))
			}
			b.StopTimer()
			reportP50(b, samples)
		})
	}
}

// BenchmarkProtectorGetItem times GetItem on an open store per protector: it never
// calls the protector, so every protector gives the same figure.
func BenchmarkProtectorGetItem(b *testing.B) {
	benchOpenStore(b, func(ctx context.Context, st *securestore.Store) error {
		_, err := st.GetItem(ctx, "token", nil)
		return err
	})
}

// BenchmarkProtectorSetItem times SetItem on an open store per protector (a
// durable commit each; the protector is not involved).
func BenchmarkProtectorSetItem(b *testing.B) {
	benchOpenStore(b, func(ctx context.Context, st *securestore.Store) error {
		return st.SetItem(ctx, "token", "s3cret", nil)
	})
}

// benchOpenStore times op on a store that each protector opened once,
// before the timer starts.
func benchOpenStore(b *testing.B, op func(context.Context, *securestore.Store) error) {
	for _, name := range benchProtectors {
		b.Run(name, func(b *testing.B) {
			benchNeeds(b, name)
			ctx := context.Background()
			st, err := securestore.Open(ctx, benchStore(b, name))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			samples := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if err := op(ctx, st); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(start))
			}
			b.StopTimer()
			reportP50(b, samples)
		})
	}
}
