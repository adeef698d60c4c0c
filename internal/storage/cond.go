package storage

import (
	"bytes"
	"context"
	"errors"
)

// Conditional writes: an item write that commits only if a precondition
// holds inside the write's own transaction, checked by the writer after
// BEGIN IMMEDIATE took the write lock, so that no other process can change
// the answer between the check and the write. Two preconditions exist:
//
//   - Cond: a meta setting still holds the value the writer saw. The store
//     uses it for its key generation, so that a handle holding a class key
//     that a passcode change (in another process) has replaced cannot seal
//     an item nobody can read. It fails with ErrCondFailed.
//   - local (PutLocal, DeleteLocal): the item has no row in sync_items. A
//     plain write of a synchronizable item must leave a tombstone for its
//     group, which the caller writes in a transaction of its own (Update);
//     the local write fails with ErrSynced and the caller goes there.
//
// A write whose precondition fails is left out of its batch (op.skip);
// the batch's other writes commit.

// Cond is a precondition of a write: the meta setting Name holds Want; an
// absent setting reads as empty.
type Cond struct {
	Name string
	Want []byte
}

// ErrCondFailed reports a write whose precondition did not hold; nothing
// of it was written.
var ErrCondFailed = errors.New("storage: the write's precondition no longer holds")

// ErrSynced reports a local write (PutLocal, DeleteLocal) of an item that
// has a row in sync_items; nothing of it was written.
var ErrSynced = errors.New("storage: the item is synchronizable")

// PutIf is Put, applied only if c holds inside the committing transaction.
func (d *DB) PutIf(ctx context.Context, it *Item, c *Cond) error {
	return d.write(ctx, &op{put: it, svc: it.Svc, id: it.ID, cond: c})
}

// PutLocal is Put of an item that is not synchronizable, applied only if,
// inside the committing transaction, c holds (when not nil; else
// ErrCondFailed) and the item has no row in sync_items (else ErrSynced).
func (d *DB) PutLocal(ctx context.Context, it *Item, c *Cond) error {
	return d.write(ctx, &op{put: it, svc: it.Svc, id: it.ID, cond: c, local: true})
}

// DeleteLocal is Delete of an item that is not synchronizable: applied
// only if, inside the committing transaction, the item has no row in
// sync_items (else ErrSynced, and nothing is deleted).
func (d *DB) DeleteLocal(ctx context.Context, svc, id []byte) error {
	return d.write(ctx, &op{svc: svc, id: id, local: true})
}

// selectPreconditions answers an op's preconditions in one step, which
// the writer keeps prepared: the meta setting ?1 (NULL when absent, and
// when ?1 is NULL: no Cond) and whether item ?2 has a sync row (0 when ?2
// is NULL: not a local op). One statement, not one per precondition: it
// runs inside the commit, for every conditional op of the batch.
const selectPreconditions = `SELECT (SELECT value FROM meta WHERE name = ?1),
	EXISTS (SELECT 1 FROM sync_items WHERE id = ?2)`

// skipOf checks o's preconditions in the writer's open transaction: nil
// when o applies, else the error that o's caller gets (and o is left out).
func (w *writer) skipOf(ctx context.Context, o *op) (skip, err error) {
	if o.cond == nil && !o.local {
		return nil, nil
	}
	var name, id any // NULL: that precondition is not asked
	holds := condCol{holds: true}
	if o.cond != nil {
		name, holds.want = o.cond.Name, o.cond.Want
	}
	if o.local {
		id = o.id
	}
	var synced int64
	if err := w.check.QueryRowContext(ctx, name, id).Scan(&holds, intCol{"synced", &synced}); err != nil {
		return nil, err
	}
	switch {
	case !holds.holds:
		return ErrCondFailed, nil
	case synced != 0:
		return ErrSynced, nil
	}
	return nil, nil
}

// condCol scans a meta value and compares it with want, without copying
// it: NULL (absent) holds when want is empty, as in Tx.Holds.
type condCol struct {
	want  []byte
	holds bool
}

func (c *condCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		c.holds = len(c.want) == 0
	case []byte:
		c.holds = bytes.Equal(v, c.want)
	default:
		return wrongType("meta.value", "a blob", v)
	}
	return nil
}

// Holds reports whether c holds in t, for writers that use a Tx (import).
func (t *Tx) Holds(c *Cond) (bool, error) {
	v, err := t.Meta(c.Name)
	if errors.Is(err, ErrNotFound) {
		return len(c.Want) == 0, nil
	}
	if err != nil {
		return false, err
	}
	return bytes.Equal(v, c.Want), nil
}
