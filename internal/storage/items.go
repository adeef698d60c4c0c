package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Item is one sealed record as stored. Every field is either a keyed MAC or
// ciphertext; Class is the accessibility class, kept in clear so that the
// right class key can be chosen before decrypting (it is also bound into
// the value's associated data, so altering it only makes the value fail).
//
// The items table is one b-tree keyed by (Svc, ID), without a rowid and
// without a second index (docs/FORMAT.md): there is no index that damage
// could make disagree with the rows.
type Item struct {
	ID    []byte // keyed MAC of (service, key): the lookup key, with Svc
	Svc   []byte // keyed MAC of the service: what Keys looks items up by
	Class uint8
	Name  []byte // sealed (service, key)
	Value []byte // sealed value
}

// upsertItem stores an item, replacing the one with the same key.
const upsertItem = `INSERT INTO items (svc, id, class, name, value) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (svc, id) DO UPDATE SET class = excluded.class, name = excluded.name, value = excluded.value`

// Get returns the class and sealed value of the item (svc, id).
//
// ErrNotFound means SQLite's search of the b-tree found no such row. A
// damaged interior page can misdirect that search; a caller that must not
// report a stored item as absent confirms the miss with Tx.Get and Tx.Walk
// in one View, so that the search and the walk see the same snapshot.
func (d *DB) Get(ctx context.Context, svc, id []byte) (class uint8, value []byte, err error) {
	return getItem(d.path, d.get.QueryRowContext(ctx, svc, id))
}

// Get is DB.Get within the transaction's snapshot.
func (t *Tx) Get(svc, id []byte) (class uint8, value []byte, err error) {
	return getItem(t.path, t.tx.QueryRowContext(t.ctx, `SELECT class, value FROM items WHERE svc = ? AND id = ?`, svc, id))
}

func getItem(path string, row *sql.Row) (class uint8, value []byte, err error) {
	err = row.Scan(byteCol{"class", &class}, blobCol{"value", &value})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ErrNotFound
	}
	return class, value, classify(path, err)
}

// Has reports whether the item (svc, id) exists, reading no value. A false
// answer is a search's, as Get's ErrNotFound is.
func (d *DB) Has(ctx context.Context, svc, id []byte) (bool, error) {
	var one int64
	err := d.has.QueryRowContext(ctx, svc, id).Scan(intCol{"1", &one})
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, classify(d.path, err)
}

// Named is an item's key and sealed name.
type Named struct {
	Svc, ID []byte
	Name    []byte
}

// Walk calls fn with the key and sealed name of every item, in key order,
// reading every leaf of the b-tree without searching it. It fails with
// ErrCorrupt when the keys do not come strictly ascending, which is how a
// damaged child pointer (a leaf reached twice, or in the wrong place)
// shows; and with the error of fn, which checks each row's name against
// its key (only the caller has the keys for it).
//
// Walk is what proves a miss: an item that Walk does not see, in a walk
// whose every row checks, is not in the table. The Named passed to fn is
// reused: fn must copy what it keeps.
func (t *Tx) Walk(fn func(*Named) error) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT svc, id, name FROM items ORDER BY svc, id`)
	if err != nil {
		return classify(t.path, err)
	}
	defer rows.Close()
	var n Named
	var prevSvc, prevID []byte
	first := true
	for rows.Next() {
		if err := rows.Scan(blobCol{"svc", &n.Svc}, blobCol{"id", &n.ID}, blobCol{"name", &n.Name}); err != nil {
			return classify(t.path, err)
		}
		if c := bytes.Compare(n.Svc, prevSvc); !first && (c < 0 || c == 0 && bytes.Compare(n.ID, prevID) <= 0) {
			return fmt.Errorf("%w: %s: the items b-tree is out of order", ErrCorrupt, t.path)
		}
		first = false
		prevSvc = append(prevSvc[:0], n.Svc...)
		prevID = append(prevID[:0], n.ID...)
		if err := fn(&n); err != nil {
			return err
		}
	}
	return classify(t.path, rows.Err())
}

// Walk is Tx.Walk in a read transaction of its own.
func (d *DB) Walk(ctx context.Context, fn func(*Named) error) error {
	return d.View(ctx, func(tx *Tx) error { return tx.Walk(fn) })
}

// Put stores it, replacing any item with the same key. It returns once the
// change is durable.
func (d *DB) Put(ctx context.Context, it *Item) error {
	return d.writer.submit(ctx, &op{put: it, svc: it.Svc, id: it.ID})
}

// Delete removes the item (svc, id), if any. It returns once the change is
// durable.
func (d *DB) Delete(ctx context.Context, svc, id []byte) error {
	return d.writer.submit(ctx, &op{svc: svc, id: id})
}

// Scan calls fn with every item, in no particular order, from one
// consistent snapshot; it stops at the first error fn returns. The Item
// passed to fn is reused: fn must copy what it keeps.
func (d *DB) Scan(ctx context.Context, fn func(*Item) error) error {
	return d.View(ctx, func(tx *Tx) error {
		rows, err := tx.tx.QueryContext(ctx, `SELECT id, svc, class, name, value FROM items`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var it Item
		for rows.Next() {
			if err := rows.Scan(blobCol{"id", &it.ID}, blobCol{"svc", &it.Svc}, byteCol{"class", &it.Class},
				blobCol{"name", &it.Name}, blobCol{"value", &it.Value}); err != nil {
				return err
			}
			if err := fn(&it); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
