package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchItems is the size of the store the write benchmarks overwrite:
// issue 16's 10,000 items of 2 KB values.
const benchItems = 10000

// benchItem is item i of the write benchmarks' store: a MAC-sized id and
// service, a sealed-name-sized name and a value of Expo's 2,048-byte limit
// plus its AEAD overhead.
func benchItem(i int, value []byte) *Item {
	id := sha256.Sum256(fmt.Appendf(nil, "item %d", i))
	svc := sha256.Sum256([]byte("svc"))
	return &Item{ID: id[:], Svc: svc[:], Class: 1, Name: id[:], Value: value}
}

// BenchmarkWriters has W goroutines overwrite random items of a
// 10,000-item database through Put, b.N writes in all, and reports what a
// write costs the process: ops/s, CPU time (user+system, from rusage) per
// acknowledged write, and how many writes each commit carried. It measures
// the storage layer alone, without the store's MACs and AEAD, so that the
// writer's own cost shows.
func BenchmarkWriters(b *testing.B) {
	for _, w := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", w), func(b *testing.B) {
			d, path := openCopy(b, writeFixture(b))
			value := make([]byte, 2048+28)
			// Warm up: the WAL reaches its steady size and the caches fill.
			if err := overwrite(d, 64, 3000, value); err != nil {
				b.Fatal(err)
			}
			wr := d.writer.Load() // started by the warm-up's writes
			commits, checkpoints := wr.commits.Load(), wr.checkpoints.Load()
			written := processWritten()
			cpu := processCPU()
			start := time.Now()
			b.ResetTimer()
			if err := overwrite(d, w, b.N, value); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			elapsed := time.Since(start)
			cpu = processCPU() - cpu
			written = processWritten() - written
			var wal int64
			if fi, err := os.Stat(path + "-wal"); err == nil {
				wal = fi.Size()
			}
			n := float64(b.N)
			b.ReportMetric(n/elapsed.Seconds(), "ops/s")
			b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/op")
			b.ReportMetric(n/float64(wr.commits.Load()-commits), "ops/commit")
			b.ReportMetric(1000*float64(wr.checkpoints.Load()-checkpoints)/n, "ckpt/1k-ops")
			b.ReportMetric(float64(written)/n, "B-written/op")
			b.ReportMetric(float64(wal)/1024, "wal-KiB")
		})
	}
}

var fixture struct {
	once sync.Once
	path string
	err  error
}

// writeFixture builds the 10,000-item database once (kept in the
// temporary directory across runs) and returns its path; the benchmarks
// write to copies of it.
func writeFixture(b *testing.B) string {
	fixture.once.Do(func() {
		dir := filepath.Join(os.TempDir(), "securestore-storage-bench-v1")
		fixture.path = filepath.Join(dir, "items-10000.db")
		if _, err := os.Stat(fixture.path); err == nil {
			return
		}
		if fixture.err = os.MkdirAll(dir, 0o700); fixture.err != nil {
			return
		}
		tmp, err := os.MkdirTemp(dir, "build-")
		if err != nil {
			fixture.err = err
			return
		}
		defer os.RemoveAll(tmp)
		build := filepath.Join(tmp, "fixture.db")
		d, err := Open(ctx, build)
		if err != nil {
			fixture.err = err
			return
		}
		value := make([]byte, 2048+28)
		fixture.err = d.Update(ctx, func(tx *Tx) error {
			for i := range benchItems {
				if err := tx.PutItem(benchItem(i, value)); err != nil {
					return err
				}
			}
			return nil
		})
		if err := d.Close(); fixture.err == nil {
			fixture.err = err
		}
		if fixture.err == nil {
			fixture.err = os.Rename(build, fixture.path)
		}
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.path
}

// openCopy opens a copy of the database file at path (closed, so without
// a WAL) in a directory of the test's.
func openCopy(b *testing.B, path string) (*DB, string) {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(b.TempDir(), "bench.db")
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		b.Fatal(err)
	}
	d, err := Open(ctx, dst)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d, dst
}

// overwrite has w goroutines Put n random existing items in all.
func overwrite(d *DB, w, n int, value []byte) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, w)
	for g := range w {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), uint64(n)))
			// Put is done with the value once it returns: one buffer per
			// writer is enough.
			v := bytes.Clone(value)
			for {
				k := next.Add(1)
				if k > int64(n) {
					break
				}
				// A value of its own, as a fresh nonce makes every sealed
				// value: SQLite skips a write that changes no byte.
				binary.BigEndian.PutUint64(v, uint64(k)^r.Uint64())
				if err := d.Put(ctx, benchItem(r.IntN(benchItems), v)); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}
