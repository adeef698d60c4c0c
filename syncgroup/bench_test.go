//go:build unix

package syncgroup

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testdir"
)

// Benchmarks of issue 15 (docs/BENCHMARKS.md, "Issue 15: sync"):
//
//	.ci/with-etcd go test -run '^$' -bench . ./syncgroup/

// BenchmarkChangeVisible times a change on one device until a second
// device has applied it (SetItem, push, watch, apply), and reports the
// median and 90th percentile.
func BenchmarkChangeVisible(b *testing.B) {
	c := benchCluster(b)
	a, d := c.benchGroup(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if err := a.store.SetItem(ctx, "k", fmt.Sprintf("v%d", i), synced); err != nil {
			b.Fatal(err)
		}
		rev, err := a.g.Settle(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.g.WaitRevision(ctx, rev); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	if v, err := d.store.GetItem(ctx, "k", nil); err != nil || v != fmt.Sprintf("v%d", b.N-1) {
		b.Fatalf("second device has %q, %v", v, err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
}

// BenchmarkGetItem compares GetItem of a synchronizable item with a local
// one: the same local read.
func BenchmarkGetItem(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("synchronizable=%v", sync), func(b *testing.B) {
			s, err := securestore.Open(b.Context(), securestore.Config{App: "bench", Dir: testdir.New(b), Protector: "file"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.SetItem(b.Context(), "k", "a token of some forty bytes, give or take", &securestore.Options{Synchronizable: sync}); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				if _, err := s.GetItem(ctx, "k", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJoin10000 times a device joining a group of 10,000 items, from
// Join until it holds them all (approval by the member included).
func BenchmarkJoin10000(b *testing.B) {
	const n = 10000
	c := benchCluster(b)
	for range b.N {
		b.StopTimer()
		prefix := fmt.Sprintf("/securestore-bench/%d/", time.Now().UnixNano())
		a := c.benchDevice(b, prefix, "a")
		ctx := context.Background()
		if err := a.g.Create(ctx); err != nil {
			b.Fatal(err)
		}
		fillGroup(b, a.g, n)
		j := c.benchDevice(b, prefix, "j")
		b.StartTimer()
		code, err := j.g.Join(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.g.Approve(ctx, code); err != nil {
			b.Fatal(err)
		}
		if err := j.g.WaitMember(ctx); err != nil {
			b.Fatal(err)
		}
		if err := j.g.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rep, _ := j.store.SyncReplica(ctx, "")
		all, err := rep.Synchronizable(ctx)
		if err != nil || len(all) != n {
			b.Fatalf("the new device holds %d items, %v; want %d", len(all), err, n)
		}
		if v, err := j.store.GetItem(ctx, "k09999", nil); err != nil || v != "value 9999" {
			b.Fatalf("k09999 = %q, %v", v, err)
		}
	}
}

// fillGroup puts n item records sealed by g straight into etcd, 64 per
// transaction: the state a group reaches after its members wrote n
// items, without n local commits first.
func fillGroup(b *testing.B, g *Group, n int) {
	groupID, epoch, bnd, err := g.current()
	if err != nil {
		b.Fatal(err)
	}
	var ops []clientv3.Op
	flush := func() {
		if _, err := g.cli.Txn(b.Context()).Then(ops...).Commit(); err != nil {
			b.Fatal(err)
		}
		ops = ops[:0]
	}
	for i := range n {
		ch := &securestore.SyncChange{Service: "app", Key: fmt.Sprintf("k%05d", i), Value: fmt.Appendf(nil, "value %d", i), Lamport: 1, Device: "filler"}
		name := nameMAC(bnd.nameKey(), groupID, ch.Service, ch.Key)
		ops = append(ops, clientv3.OpPut(g.cfg.itemsPrefix()+name, string(sealRecord(bnd, groupID, epoch, name, ch))))
		if len(ops) == 64 {
			flush()
		}
	}
	if len(ops) > 0 {
		flush()
	}
}
