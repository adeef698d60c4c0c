package syncgroup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/securestore-go/securestore"
)

func withPrefix() clientv3.OpOption { return clientv3.WithPrefix() }

// errRestart asks Run to set up its watch again at once (after a full
// listing replaced a compacted history).
var errRestart = errors.New("syncgroup: restart the watch")

// Run keeps the store in sync until ctx ends: it catches up (from the
// last revision applied, or from a full listing when etcd has compacted
// past it), then applies the group's changes as the watch delivers them
// and pushes local ones as they are made. Failures (etcd down, a bad
// record) are recorded in the status and retried; they never block the
// store's reads and writes, which stay local. Run returns nil when ctx
// ends.
func (g *Group) Run(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	for {
		err := g.runWatch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errRestart) {
			continue
		}
		g.noteError(err, 0)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (g *Group) runWatch(ctx context.Context) error {
	if err := g.fetchKeys(ctx); err != nil {
		return err
	}
	if g.Revision() == 0 {
		if err := g.fullListing(ctx); err != nil {
			return err
		}
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	wch := g.cli.Watch(wctx, g.cfg.Prefix, clientv3.WithPrefix(), clientv3.WithRev(g.Revision()+1), clientv3.WithProgressNotify())
	g.pushNoted(ctx)
	tick := time.NewTicker(g.cfg.PollInterval)
	defer tick.Stop()
	alive := g.newLiveness()
	defer alive.stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case resp, ok := <-wch:
			if err := g.watchResponse(ctx, alive, resp, ok); err != nil {
				return err
			}
		case <-g.rep.Changed():
			g.pushNoted(ctx)
		case <-tick.C:
			g.pushNoted(ctx)
			g.retryDeferred(ctx)
		case <-alive.timer.C:
			// A response that came while the loop was busy (a slow push)
			// waits in wch, and select chooses at random: take it first.
			select {
			case resp, ok := <-wch:
				if err := g.watchResponse(ctx, alive, resp, ok); err != nil {
					return err
				}
				continue
			default:
			}
			if err := alive.quiet(ctx); err != nil {
				return err
			}
		}
	}
}

// watchResponse handles one response of the watch (ok false: the watch
// ended); an error ends the watch.
func (g *Group) watchResponse(ctx context.Context, alive *liveness, resp clientv3.WatchResponse, ok bool) error {
	if !ok {
		return fmt.Errorf("%w: the watch ended", ErrUnavailable)
	}
	if alive.heard(&resp) {
		return nil
	}
	if resp.CompactRevision != 0 {
		// etcd no longer has the history since our revision.
		if err := g.fullListing(ctx); err != nil {
			return err
		}
		return errRestart
	}
	if err := resp.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return g.handleEvents(ctx, &resp)
}

// Sync runs one round without a watch: it fetches new keys, applies what
// changed in the group since the last revision applied, and pushes what
// waits (`securestore sync run --once`).
func (g *Group) Sync(ctx context.Context) error {
	if err := g.fetchKeys(ctx); err != nil {
		return err
	}
	if g.Revision() == 0 {
		if err := g.fullListing(ctx); err != nil {
			return err
		}
	} else if err := g.listing(ctx, clientv3.WithMinModRev(g.Revision()+1)); err != nil {
		return err
	}
	g.retryDeferred(ctx)
	_, err := g.Flush(ctx)
	return err
}

func (g *Group) handleEvents(ctx context.Context, resp *clientv3.WatchResponse) error {
	var items []*mvccpb.KeyValue
	last := resp.Header.Revision
	if len(resp.Events) > 0 {
		last = 0
	}
	for _, ev := range resp.Events {
		last = max(last, ev.Kv.ModRevision)
		key := string(ev.Kv.Key)
		if ev.Type != clientv3.EventTypePut {
			continue
		}
		switch {
		case strings.HasPrefix(key, g.cfg.itemsPrefix()):
			items = append(items, ev.Kv)
		case strings.HasPrefix(key, g.cfg.keysPrefix()):
			if err := g.takeKey(ctx, ev.Kv); err != nil {
				g.noteError(err, ev.Kv.ModRevision)
			}
		}
	}
	if err := g.applyKVs(ctx, items); err != nil {
		return err
	}
	return g.advance(ctx, last)
}

// fetchKeys takes the group keys wrapped to this device that it does not
// hold yet.
func (g *Group) fetchKeys(ctx context.Context) error {
	var kvs []*mvccpb.KeyValue
	err := g.call(ctx, func(ctx context.Context) error {
		resp, err := g.cli.Get(ctx, g.cfg.keysPrefix(), clientv3.WithPrefix())
		if err == nil {
			kvs = resp.Kvs
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if err := g.takeKey(ctx, kv); err != nil {
			g.noteError(err, kv.ModRevision)
		}
	}
	return nil
}

// takeKey unwraps the bundle at kv if it is wrapped to this device and
// new here.
func (g *Group) takeKey(ctx context.Context, kv *mvccpb.KeyValue) error {
	rest := strings.TrimPrefix(string(kv.Key), g.cfg.keysPrefix())
	es, dev, ok := strings.Cut(rest, "/")
	if !ok || dev != g.device {
		return nil
	}
	e, err := strconv.ParseUint(es, 10, 32)
	if err != nil || e == 0 {
		return fmt.Errorf("%w: a key entry %q", ErrBadRecord, rest)
	}
	if g.bundleFor(uint32(e)) != nil {
		return nil
	}
	g.mu.Lock()
	groupID, priv := g.groupID, g.priv
	g.mu.Unlock()
	if priv == nil {
		return fmt.Errorf("%w: the group is closed", ErrNotMember)
	}
	b, err := unwrapBundle(priv, groupID, uint32(e), g.device, kv.Value)
	if err != nil {
		return err
	}
	if err := g.keep(ctx, uint32(e), b); err != nil {
		return err
	}
	g.retryDeferred(ctx)
	return nil
}

// fullListing applies every item record of the group at one revision,
// then records that revision as applied.
func (g *Group) fullListing(ctx context.Context) error {
	g.listings.Add(1)
	return g.listing(ctx)
}

// listing applies the item records that a paged Get with opts returns,
// all at the revision of its first page.
func (g *Group) listing(ctx context.Context, opts ...clientv3.OpOption) error {
	start, end := g.cfg.itemsPrefix(), clientv3.GetPrefixRangeEnd(g.cfg.itemsPrefix())
	var at int64
	for {
		page := append([]clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(1000)}, opts...)
		if at != 0 {
			page = append(page, clientv3.WithRev(at))
		}
		var resp *clientv3.GetResponse
		err := g.call(ctx, func(ctx context.Context) (err error) {
			resp, err = g.cli.Get(ctx, start, page...)
			return err
		})
		if err != nil {
			return err
		}
		if at == 0 {
			at = resp.Header.Revision
		}
		if err := g.applyKVs(ctx, resp.Kvs); err != nil {
			return err
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	return g.advance(ctx, at)
}

// applyKVs opens item records and applies them in one batch. A record
// that does not open is recorded in the status and changes nothing; one
// under a key this device lacks, or of a class locked here, waits in the
// store's inbox.
func (g *Group) applyKVs(ctx context.Context, kvs []*mvccpb.KeyValue) error {
	if len(kvs) == 0 {
		return nil
	}
	g.mu.Lock()
	groupID := g.groupID
	g.mu.Unlock()
	var batch []*securestore.SyncChange
	var names []string
	var raw [][]byte
	defer func() {
		for _, ch := range batch {
			clear(ch.Value)
		}
	}()
	for _, kv := range kvs {
		name := strings.TrimPrefix(string(kv.Key), g.cfg.itemsPrefix())
		ch, err := openRecord(g.bundleFor, groupID, name, kv.Value)
		switch {
		case errors.Is(err, ErrUnknownEpoch):
			if err := g.rep.Defer(ctx, name, kv.Value, kv.ModRevision); err != nil {
				return err
			}
			continue
		case err != nil:
			g.noteError(fmt.Errorf("item %s: %w", name, err), kv.ModRevision)
			continue
		}
		ch.Rev = kv.ModRevision
		batch, names, raw = append(batch, ch), append(names, name), append(raw, kv.Value)
	}
	errs, err := g.rep.Apply(ctx, batch)
	if err != nil {
		return err
	}
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, securestore.ErrLocked):
			if err := g.rep.Defer(ctx, names[i], raw[i], batch[i].Rev); err != nil {
				return err
			}
		default:
			g.noteError(fmt.Errorf("item %s: %w", names[i], err), batch[i].Rev)
		}
	}
	return nil
}

// retryDeferred applies the records that waited for a key or an Unlock,
// if they can be now.
func (g *Group) retryDeferred(ctx context.Context) {
	waiting, err := g.rep.Deferred(ctx)
	if err != nil || len(waiting) == 0 {
		return
	}
	g.mu.Lock()
	groupID := g.groupID
	g.mu.Unlock()
	for _, w := range waiting {
		ch, err := openRecord(g.bundleFor, groupID, w.Key, w.Record)
		if errors.Is(err, ErrUnknownEpoch) {
			continue
		}
		if err == nil {
			ch.Rev = w.Rev
			var errs []error
			errs, err = g.rep.Apply(ctx, []*securestore.SyncChange{ch})
			clear(ch.Value)
			if err == nil {
				err = errs[0]
			}
			if errors.Is(err, securestore.ErrLocked) {
				continue
			}
		}
		if err != nil {
			g.noteError(fmt.Errorf("item %s: %w", w.Key, err), w.Rev)
		}
		_ = g.rep.Undefer(ctx, w.Key)
	}
}
