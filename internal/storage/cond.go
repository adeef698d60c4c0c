package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
)

// A conditional write: an item write that commits only if a meta setting
// still holds the value the writer saw, checked inside the write's own
// transaction. The store uses it for its key generation, so that a handle
// holding a class key that a passcode change (in another process) has
// replaced cannot seal an item nobody can read.

// Cond is a precondition of a write: the meta setting Name holds Want; an
// absent setting reads as empty.
type Cond struct {
	Name string
	Want []byte
}

// ErrCondFailed reports a write whose precondition did not hold; nothing
// of it was written.
var ErrCondFailed = errors.New("storage: the write's precondition no longer holds")

// PutIf is Put, applied only if c holds inside the committing transaction.
func (d *DB) PutIf(ctx context.Context, it *Item, c *Cond) error {
	slot, err := slotOf(d.path, it.ID)
	if err != nil {
		return err
	}
	w, err := d.startedWriter(ctx)
	if err != nil {
		return err
	}
	return d.written(w.submit(ctx, &op{put: it, slot: slot, svc: it.Svc, id: it.ID, cond: c}))
}

// selectMeta reads one meta setting; the writer keeps it prepared.
const selectMeta = `SELECT value FROM meta WHERE name = ?`

// holds reports whether c holds in the writer's open transaction.
func (w *writer) holds(ctx context.Context, c *Cond) (bool, error) {
	var v []byte
	err := w.meta.QueryRowContext(ctx, c.Name).Scan(blobCol{"value", &v})
	if errors.Is(err, sql.ErrNoRows) {
		return len(c.Want) == 0, nil
	}
	if err != nil {
		return false, err
	}
	return bytes.Equal(v, c.Want), nil
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
