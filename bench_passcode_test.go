package securestore_test

// Benchmarks for issue 3: what a passcode costs. Unlock derives the
// passcode key (Argon2id) once; after it, reading a WhenUnlocked item must
// cost what it costs without a passcode. Export and import of 100,000
// items are measured end to end.

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
)

const benchPasscode = "correct horse battery staple"

// BenchmarkUnlock times Unlock with the default Argon2id parameters (64 MiB):
// the one key derivation a locked store pays, once per unlock.
func BenchmarkUnlock(b *testing.B) {
	s := openStore(b, privateDir(b))
	if err := s.SetPasscode(ctx, nil, []byte(benchPasscode)); err != nil {
		b.Fatal(err)
	}
	var lat durations
	for b.Loop() {
		if err := s.Lock(); err != nil {
			b.Fatal(err)
		}
		t := time.Now()
		if err := s.Unlock(ctx, []byte(benchPasscode)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.ReportMetric(lat.percentile(50)/1000, "p50-ms")
}

// BenchmarkGetItemUnlocked reads WhenUnlocked items from a store with a
// passcode (unlocked) and from the same fixture without one, alternately,
// and reports both p50s and their ratio (target: within 10%).
func BenchmarkGetItemUnlocked(b *testing.B) {
	plainDir := fixture(b, smallN)
	lockedDir := copyFixture(b, smallN)
	warmFile(b, plainDir)
	warmFile(b, lockedDir)
	plain := openStore(b, plainDir)
	withPasscode := openStore(b, lockedDir)
	if err := withPasscode.SetPasscode(ctx, nil, []byte(benchPasscode)); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var plainLat, passLat durations
	get := func(s *securestore.Store, lat *durations) {
		i := r.IntN(smallN)
		t := time.Now()
		v, err := s.GetItem(ctx, benchKey(i), nil)
		*lat = append(*lat, time.Since(t))
		if err != nil || len(v) != valueSize {
			b.Fatalf("GetItem %d: %d bytes, %v", i, len(v), err)
		}
	}
	for b.Loop() {
		get(plain, &plainLat)
		get(withPasscode, &passLat)
	}
	b.ReportMetric(plainLat.percentile(50), "plain-p50-µs")
	b.ReportMetric(passLat.percentile(50), "passcode-p50-µs")
	b.ReportMetric(passLat.percentile(50)/plainLat.percentile(50), "ratio")
}

// BenchmarkExportImport exports a 100,000-item store and imports the file
// into a fresh store on another "device" (a directory with its own device
// key), reporting each in seconds (target: under 10 s each). Run it with
// -benchtime 1x: one round is several seconds.
func BenchmarkExportImport(b *testing.B) {
	const n = 100_000
	src := openStore(b, fixture(b, n))
	pass := []byte(benchPasscode)
	for b.Loop() {
		var file bytes.Buffer
		t := time.Now()
		if err := src.Export(ctx, &file, bytes.Clone(pass)); err != nil {
			b.Fatal(err)
		}
		exported := time.Since(t)

		dst := openStore(b, privateDir(b))
		t = time.Now()
		res, err := dst.ImportReport(ctx, bytes.NewReader(file.Bytes()), bytes.Clone(pass))
		imported := time.Since(t)
		if err != nil || res.Restored != n {
			b.Fatalf("import: %+v, %v", res, err)
		}
		b.ReportMetric(exported.Seconds(), "export-s")
		b.ReportMetric(imported.Seconds(), "import-s")
		b.ReportMetric(float64(file.Len())/(1<<20), "file-MiB")
		if err := dst.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
