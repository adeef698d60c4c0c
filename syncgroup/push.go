package syncgroup

import (
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/securestore-go/securestore"
)

// pushBatch is how many items one etcd transaction pushes (etcd allows
// 128 operations per transaction by default).
const pushBatch = 64

func (g *Group) pushNoted(ctx context.Context) {
	if _, err := g.Flush(ctx); err != nil && !errors.Is(err, ErrNotMember) && ctx.Err() == nil {
		g.noteError(err, 0)
	}
}

// Flush pushes every local change that waits (and whose class key is
// available), and returns the etcd revision of the last one pushed (0 if
// none). Each push is a compare-and-swap on the etcd mod revision the
// device last saw of the item; when another device changed it meanwhile,
// the two versions are compared (docs/SYNC.md, "Conflicts"): the remote
// one is applied here if it wins, else the push is retried over it.
func (g *Group) Flush(ctx context.Context) (int64, error) {
	g.pushMu.Lock()
	defer g.pushMu.Unlock()
	groupID, epoch, b, err := g.current()
	if err != nil {
		return 0, err
	}
	var last int64
	for round := 0; round < 4; round++ {
		pending, _, err := g.rep.Pending(ctx)
		if err != nil {
			return last, err
		}
		if len(pending) == 0 {
			return last, nil
		}
		for i := 0; i < len(pending); i += pushBatch {
			chunk := pending[i:min(i+pushBatch, len(pending))]
			rev, err := g.pushAll(ctx, groupID, epoch, b, chunk)
			if err != nil {
				wipeChanges(pending)
				return last, err
			}
			last = max(last, rev)
		}
		wipeChanges(pending)
	}
	return last, nil
}

func wipeChanges(chs []securestore.SyncChange) {
	for i := range chs {
		clear(chs[i].Value)
	}
}

// pushAll pushes chunk in one transaction; if any item changed in etcd
// since this device saw it, it pushes them one by one instead.
func (g *Group) pushAll(ctx context.Context, groupID string, epoch uint32, b bundle, chunk []securestore.SyncChange) (int64, error) {
	var cmps []clientv3.Cmp
	var puts []clientv3.Op
	for i := range chunk {
		ch := &chunk[i]
		name := nameMAC(b.nameKey(), groupID, ch.Service, ch.Key)
		key := g.cfg.itemsPrefix() + name
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", ch.Rev))
		puts = append(puts, clientv3.OpPut(key, string(sealRecord(b, groupID, epoch, name, ch))))
	}
	var resp *clientv3.TxnResponse
	err := g.call(ctx, func(ctx context.Context) (err error) {
		resp, err = g.cli.Txn(ctx).If(cmps...).Then(puts...).Commit()
		return err
	})
	if err != nil {
		return 0, err
	}
	if resp.Succeeded {
		for i := range chunk {
			if err := g.rep.Pushed(ctx, &chunk[i], resp.Header.Revision); err != nil {
				return 0, err
			}
		}
		return resp.Header.Revision, nil
	}
	var last int64
	for i := range chunk {
		rev, err := g.pushOne(ctx, groupID, epoch, b, &chunk[i])
		if err != nil {
			return last, err
		}
		last = max(last, rev)
	}
	return last, nil
}

// pushOne pushes one change by compare-and-swap, resolving a conflict
// with the version found in etcd.
func (g *Group) pushOne(ctx context.Context, groupID string, epoch uint32, b bundle, ch *securestore.SyncChange) (int64, error) {
	name := nameMAC(b.nameKey(), groupID, ch.Service, ch.Key)
	key := g.cfg.itemsPrefix() + name
	rec := sealRecord(b, groupID, epoch, name, ch)
	expect := ch.Rev
	for try := 0; try < 4; try++ {
		var resp *clientv3.TxnResponse
		err := g.call(ctx, func(ctx context.Context) (err error) {
			resp, err = g.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.ModRevision(key), "=", expect)).
				Then(clientv3.OpPut(key, string(rec))).
				Else(clientv3.OpGet(key)).Commit()
			return err
		})
		if err != nil {
			return 0, err
		}
		if resp.Succeeded {
			return resp.Header.Revision, g.rep.Pushed(ctx, ch, resp.Header.Revision)
		}
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 {
			expect = 0 // deleted behind our back: create it again
			continue
		}
		kv := kvs[0]
		remote, err := openRecord(g.bundleFor, groupID, name, kv.Value)
		if err != nil {
			// Bytes no member could have written lose to any change.
			g.noteError(fmt.Errorf("item %s: %w", name, err), kv.ModRevision)
			expect = kv.ModRevision
			continue
		}
		remote.Rev = kv.ModRevision
		wins := remote.Newer(ch.Lamport, ch.Device)
		errs, err := g.rep.Apply(ctx, []*securestore.SyncChange{remote})
		clear(remote.Value)
		if err != nil {
			return 0, err
		}
		if errs[0] != nil && !errors.Is(errs[0], securestore.ErrLocked) {
			g.noteError(fmt.Errorf("item %s: %w", name, errs[0]), kv.ModRevision)
		}
		if wins && !errors.Is(errs[0], ErrBadRecord) {
			return 0, nil // the remote change is the item's version now
		}
		// Ours is newer, or theirs is refused (a version too far ahead):
		// like bytes no member could have written, it loses to ours.
		expect = kv.ModRevision
	}
	return 0, nil // still contended: the next round tries again
}

// Settle pushes until nothing pushable waits, and returns the newest etcd
// mod revision among the group's item records: once another device's
// WaitRevision reaches it, that device has seen everything this one
// pushed. For tests, benchmarks and `securestore sync run --once`.
func (g *Group) Settle(ctx context.Context) (int64, error) {
	for {
		if _, err := g.Flush(ctx); err != nil {
			return 0, err
		}
		pending, locked, err := g.rep.Pending(ctx)
		if err != nil {
			return 0, err
		}
		wipeChanges(pending)
		if len(pending) == 0 {
			_ = locked // those wait for Unlock
			break
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
	var rev int64
	err := g.call(ctx, func(ctx context.Context) error {
		resp, err := g.cli.Get(ctx, g.cfg.itemsPrefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly(),
			clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortDescend), clientv3.WithLimit(1))
		if err == nil && len(resp.Kvs) > 0 {
			rev = resp.Kvs[0].ModRevision
		}
		return err
	})
	return rev, err
}
