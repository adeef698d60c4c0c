package storage

import (
	"context"
	"database/sql"
	"errors"
)

// Tx is a write transaction over a store's keys and settings: the meta
// table (named settings such as the wrapped device key) and the wrapped
// class keys. Item writes do not go through Tx; they batch through Put and
// Delete.
type Tx struct {
	ctx    context.Context
	path   string // the database's, for errors
	tx     *sql.Tx
	upsert *sql.Stmt // prepared on first PutItem
}

// Update runs fn in one write transaction, committing when fn returns nil.
// It waits up to BusyTimeout for other writers, in this process or others.
// It is for rare changes: creating a store, re-wrapping keys.
func (d *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return d.update(ctx, func(tx *sql.Tx) error { return fn(&Tx{ctx: ctx, path: d.path, tx: tx}) })
}

// View runs fn in one read transaction: a consistent snapshot that waits
// for no writer. fn must not write.
func (d *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := d.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return classify(d.path, err)
	}
	defer tx.Rollback()
	return classify(d.path, fn(&Tx{ctx: ctx, path: d.path, tx: tx}))
}

// Meta returns the named setting, or ErrNotFound.
func (t *Tx) Meta(name string) ([]byte, error) {
	var v []byte
	err := t.tx.QueryRowContext(t.ctx, `SELECT value FROM meta WHERE name = ?`, name).Scan(blobCol{"meta.value", &v})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return v, classify(t.path, err)
}

// SetMeta sets the named setting.
func (t *Tx) SetMeta(name string, value []byte) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO meta (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return classify(t.path, err)
}

// ClassKey is a wrapped class key as stored.
type ClassKey struct {
	Class    uint8
	Wrapping uint8 // which keys wrap it (keys.WrapDevice, ...)
	Blob     []byte
}

// ClassKeys returns every wrapped class key.
func (t *Tx) ClassKeys() ([]ClassKey, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT class, wrapping, blob FROM class_keys ORDER BY class`)
	if err != nil {
		return nil, classify(t.path, err)
	}
	defer rows.Close()
	var out []ClassKey
	for rows.Next() {
		var k ClassKey
		if err := rows.Scan(byteCol{"class_keys.class", &k.Class}, byteCol{"class_keys.wrapping", &k.Wrapping}, blobCol{"class_keys.blob", &k.Blob}); err != nil {
			return nil, classify(t.path, err)
		}
		out = append(out, k)
	}
	return out, classify(t.path, rows.Err())
}

// PutClassKey stores a wrapped class key, replacing the class's old one.
func (t *Tx) PutClassKey(k ClassKey) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO class_keys (class, wrapping, blob) VALUES (?, ?, ?)
		ON CONFLICT (class) DO UPDATE SET wrapping = excluded.wrapping, blob = excluded.blob`,
		k.Class, k.Wrapping, k.Blob)
	return classify(t.path, err)
}

// DeleteMeta removes the named setting, if present.
func (t *Tx) DeleteMeta(name string) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM meta WHERE name = ?`, name)
	return classify(t.path, err)
}

// DeleteClassKey removes the wrapped key of class, if present.
func (t *Tx) DeleteClassKey(class uint8) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM class_keys WHERE class = ?`, class)
	return classify(t.path, err)
}

// DeleteClass removes every item of class and returns how many it removed.
func (t *Tx) DeleteClass(class uint8) (int64, error) {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM items WHERE class = ?`, class)
	if err != nil {
		return 0, classify(t.path, err)
	}
	n, err := res.RowsAffected()
	return n, classify(t.path, err)
}

// PutItem stores it inside this transaction, replacing any item with the
// same id. Bulk writers (import) use it to make many items one atomic
// change; single writes go through DB.Put, which batches.
func (t *Tx) PutItem(it *Item) error {
	slot, err := slotOf(t.path, it.ID)
	if err != nil {
		return err
	}
	if t.upsert == nil {
		if t.upsert, err = t.tx.PrepareContext(t.ctx, upsertItem); err != nil {
			return classify(t.path, err)
		}
	}
	res, err := t.upsert.ExecContext(t.ctx, slot, it.ID, it.Svc, it.Class, it.Name, it.Value, nil, nil, nil) // no preconditions: the Tx is the caller's
	n, err := rowsAffected(res, err)
	if err != nil {
		return classify(t.path, err)
	}
	if n == 0 {
		return slotTaken(t.path)
	}
	return nil
}

// rowsAffected is res.RowsAffected after an Exec that returned err.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Begin starts a write transaction that the caller ends with Commit or
// Rollback: for changes that span several databases and must be decided
// together (import). It waits up to BusyTimeout for the write lock.
func (d *DB) Begin(ctx context.Context) (*Tx, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, classify(d.path, err)
	}
	return &Tx{ctx: ctx, path: d.path, tx: tx}, nil
}

// Commit makes the transaction's changes durable.
func (t *Tx) Commit() error { return classify(t.path, t.tx.Commit()) }

// Rollback discards the transaction's changes. It is safe after Commit.
func (t *Tx) Rollback() {
	_ = t.tx.Rollback()
}
