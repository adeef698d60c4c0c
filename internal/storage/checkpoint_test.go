package storage

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

func TestWALLimitFollowsFreeSpace(t *testing.T) {
	for _, c := range []struct {
		free  uint64
		known bool
		want  int64
	}{
		{0, false, walMinBytes},               // unknown: the smallest
		{0, true, walMinBytes},                // a full volume
		{2 << 20, true, walMinBytes},          // a 2 MiB volume: 128 KiB is under the floor
		{16 << 20, true, 1 << 20},             // a sixteenth
		{1 << 40, true, walMaxBytes},          // plenty: the ceiling
		{walMaxBytes * 16, true, walMaxBytes}, // exactly the ceiling
	} {
		if got := walLimitFor(c.free, c.known); got != c.want {
			t.Errorf("walLimitFor(%d, %v) = %d, want %d", c.free, c.known, got, c.want)
		}
	}
}

// TestWALStaysBounded has 64 writers overwrite items without a pause, so
// that the checkpointer always runs while commits go on, and checks after
// every acknowledged write that the WAL file stays within twice the limit
// plus what one batch of commits adds, and that it starts over (the file
// is cut back) rather than growing for ever.
func TestWALStaysBounded(t *testing.T) {
	d, path := openTemp(t)
	const items, writes, writers = 300, 6000, 64
	value := make([]byte, 2076)
	var next atomic.Int64
	var peak, cuts atomic.Int64
	var mu sync.Mutex
	var last int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for {
				k := next.Add(1)
				if k > writes {
					return
				}
				v := append([]byte{byte(k), byte(k >> 8)}, value...)
				if err := d.Put(context.Background(), benchItem(int(k%items), v)); err != nil {
					t.Error(err)
					return
				}
				fi, err := os.Stat(path + "-wal")
				if err != nil {
					continue
				}
				mu.Lock()
				if fi.Size() < last {
					cuts.Add(1)
				}
				last = fi.Size()
				mu.Unlock()
				if fi.Size() > peak.Load() {
					peak.Store(fi.Size())
				}
			}
		})
	}
	wg.Wait()
	// One batch of maxBatch items dirties at most a few pages each.
	bound := int64(2*walMaxBytes + 4*maxBatch*4120)
	t.Logf("%d writes: the WAL peaked at %d bytes and was cut back %d times; %d checkpoints", writes, peak.Load(), cuts.Load(), d.writer.Load().checkpoints.Load())
	if peak.Load() > bound {
		t.Errorf("the WAL grew to %d bytes, over %d", peak.Load(), bound)
	}
	if cuts.Load() == 0 {
		t.Errorf("the WAL never started over (peak %d bytes)", peak.Load())
	}
}
