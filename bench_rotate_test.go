package securestore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore/internal/record"
)

// BenchmarkRotate100k measures a passcode set and a change on a store of
// 100,000 items (half of them in passcode classes, so 50,000 re-sealed),
// at full Argon2id cost. Run with -benchtime 1x: filling the store
// dominates otherwise.
//
//	go test -run '^$' -bench Rotate100k -benchtime 1x
func BenchmarkRotate100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(ctx, Config{App: "rotbench", Dir: filepath.Join(b.TempDir(), "store"), Protector: "file"})
		if err != nil {
			b.Fatal(err)
		}
		v := s.own
		tx, err := v.db.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		cs := v.readClasses()
		for i := range n {
			class := []Accessibility{WhenUnlocked, Always}[i%2]
			aead, _ := cs.aead(class)
			if err := tx.PutItem(v.item("svc", fmt.Sprintf("key-%06d", i), class, aead, []byte("a secret value of some forty bytes......"))); err != nil {
				b.Fatal(err)
			}
			record.ZeroAEAD(aead)
		}
		cs.release()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
			b.Fatal(err)
		}
		if err := s.SetPasscode(ctx, []byte("1234"), []byte("5678")); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got, err := s.GetItem(ctx, "key-000000", &Options{KeychainService: "svc"}); err != nil || got == "" {
			b.Fatal(got, err)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n/2), "resealed/op")
}
