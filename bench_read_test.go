package securestore_test

// Read benchmarks of issue 16 (docs/BENCHMARKS.md, "Issue 16: reads"):
// a read right after many writes, and a miss. Like the others they report
// and assert nothing about time.

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
)

// BenchmarkGetItemAfterWrites reads random items of a 10,000-item store
// right after 10,000 overwrites of random items (64 writers), in the same
// process and without reopening: the recent pages are in the WAL, and the
// readers' page caches were emptied by every commit. It reports the -wal
// file's size when the reads began.
func BenchmarkGetItemAfterWrites(b *testing.B) {
	dir := copyFixture(b, smallN)
	s := openStore(b, dir)
	const writes, writers = smallN, 64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 16))
			for range writes / writers {
				i := r.IntN(smallN)
				if err := s.SetItem(ctx, benchKey(i), benchValue(i), nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var walKiB float64
	if fi, err := os.Stat(filepath.Join(dir, "app."+benchApp+".db-wal")); err == nil {
		walKiB = float64(fi.Size()) / 1024
	}
	getLoop(b, s, smallN, rand.New(rand.NewPCG(9, 10))).report(b, "")
	b.ReportMetric(walKiB, "wal-KiB")
}

// BenchmarkGetItemMiss reads keys that are not stored, from the warm
// 10,000-item store: each answer is a proven miss (storedb_absent.go),
// whose walk of the table is done once and kept while the store does not
// change.
func BenchmarkGetItemMiss(b *testing.B) {
	s := openStore(b, fixture(b, smallN))
	r := rand.New(rand.NewPCG(11, 12))
	var lat durations
	b.ReportAllocs()
	for b.Loop() {
		i := smallN + r.IntN(smallN)
		t := time.Now()
		_, err := s.GetItem(ctx, benchKey(i), nil)
		lat = append(lat, time.Since(t))
		if !errors.Is(err, securestore.ErrNotFound) {
			b.Fatalf("GetItem of absent %d: %v", i, err)
		}
	}
	lat.report(b, "")
}
