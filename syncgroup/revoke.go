package syncgroup

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Revoke removes a device (by id or join code) from the group and rotates
// the group's item key: a new epoch whose key is wrapped to every other
// entry under devices/ (approved or not: docs/SYNC.md, Known weaknesses),
// and every item record re-sealed under it. The revoked device keeps what
// it already has; reading etcd only, it cannot read what is written
// after, but if it can still write under the prefix it can (Known
// weaknesses). The name key is not rotated: the revoked device can still
// tell which of the names it knew exist.
func (g *Group) Revoke(ctx context.Context, device string) error {
	groupID, epoch, b, err := g.current()
	if err != nil {
		return fmt.Errorf("syncgroup: revoke: %w", err)
	}
	devs, err := g.devices(ctx)
	if err != nil {
		return fmt.Errorf("syncgroup: revoke: %w", err)
	}
	target, err := resolveCode(devs, device)
	if err != nil {
		return fmt.Errorf("syncgroup: revoke: %w", err)
	}
	if target == g.device {
		return fmt.Errorf("syncgroup: revoke: this device cannot revoke itself")
	}
	delete(devs, target)

	next := epoch + 1
	nb := newBundle(b.nameKey())
	ops := []clientv3.Op{
		clientv3.OpDelete(g.cfg.deviceKey(target)),
		clientv3.OpPut(g.cfg.epochKey(), strconv.FormatUint(uint64(next), 10)),
	}
	for e := uint32(1); e <= epoch; e++ {
		ops = append(ops, clientv3.OpDelete(g.cfg.wrappedKey(e, target)))
	}
	for id, d := range devs {
		w, err := wrapBundle(d.Public, groupID, next, id, nb)
		if err != nil {
			nb.wipe()
			return err
		}
		ops = append(ops, clientv3.OpPut(g.cfg.wrappedKey(next, id), string(w)))
	}
	var resp *clientv3.TxnResponse
	err = g.call(ctx, func(ctx context.Context) (err error) {
		// Only over the epoch this device holds: two revocations at once
		// must not leave two keys for one epoch.
		resp, err = g.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.Value(g.cfg.epochKey()), "=", strconv.FormatUint(uint64(epoch), 10))).
			Then(ops...).Commit()
		return err
	})
	if err != nil {
		nb.wipe()
		return fmt.Errorf("syncgroup: revoke: %w", err)
	}
	if !resp.Succeeded {
		nb.wipe()
		return fmt.Errorf("syncgroup: revoke: the group's key changed meanwhile (another revocation); sync and retry")
	}
	if err := g.keep(ctx, next, nb); err != nil {
		return err
	}
	return g.reseal(ctx, groupID, next, nb)
}

// reseal re-seals every item record readable under an older epoch under
// epoch, each by compare-and-swap (a record changed meanwhile was written
// by a member, who seals under the newest key it holds).
func (g *Group) reseal(ctx context.Context, groupID string, epoch uint32, b bundle) error {
	var resp *clientv3.GetResponse
	err := g.call(ctx, func(ctx context.Context) (err error) {
		resp, err = g.cli.Get(ctx, g.cfg.itemsPrefix(), clientv3.WithPrefix())
		return err
	})
	if err != nil {
		return err
	}
	for _, kv := range resp.Kvs {
		name := strings.TrimPrefix(string(kv.Key), g.cfg.itemsPrefix())
		h, _, err := parseHeader(kv.Value)
		if err != nil || h.epoch >= epoch {
			continue
		}
		ch, err := openRecord(g.bundleFor, groupID, name, kv.Value)
		if err != nil {
			g.noteError(fmt.Errorf("re-seal item %s: %w", name, err), kv.ModRevision)
			continue
		}
		rec := sealRecord(b, groupID, epoch, name, ch)
		clear(ch.Value)
		err = g.call(ctx, func(ctx context.Context) error {
			_, err := g.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.ModRevision(string(kv.Key)), "=", kv.ModRevision)).
				Then(clientv3.OpPut(string(kv.Key), string(rec))).Commit()
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
