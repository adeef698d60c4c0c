package storage

import (
	"context"
	"database/sql"
	"errors"
)

// Item is one sealed record as stored. Every field is either a keyed MAC or
// ciphertext; Class is the accessibility class, kept in clear so that the
// right class key can be chosen before decrypting (it is also bound into
// the value's associated data, so altering it only makes the value fail).
type Item struct {
	ID    []byte // keyed MAC of (service, key): the lookup index
	Svc   []byte // keyed MAC of the service: what Keys looks items up by
	Class uint8
	Name  []byte // sealed (service, key)
	Value []byte // sealed value
}

// upsertItem stores an item, replacing the one with the same id. An
// existing row keeps its svc: id is a keyed MAC of (service, key) and svc
// one of service, so a row with this id already has this svc; setting it
// anyway made SQLite rewrite the row's entry in items_by_service, one more
// page per write.
const upsertItem = `INSERT INTO items (id, svc, class, name, value) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET class = excluded.class, name = excluded.name, value = excluded.value`

// Get returns the class and sealed value of the item with this id.
func (d *DB) Get(ctx context.Context, id []byte) (class uint8, value []byte, err error) {
	err = d.get.QueryRowContext(ctx, id).Scan(byteCol{"class", &class}, blobCol{"value", &value})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ErrNotFound
	}
	return class, value, classify(d.path, err)
}

// Has reports whether an item with this id exists, reading no value.
func (d *DB) Has(ctx context.Context, id []byte) (bool, error) {
	var one int
	err := d.has.QueryRowContext(ctx, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, classify(d.path, err)
}

// Named is an item's id and sealed name.
type Named struct {
	ID   []byte
	Name []byte
}

// ListService returns the id and sealed name of every item whose service
// tag is svc.
func (d *DB) ListService(ctx context.Context, svc []byte) ([]Named, error) {
	rows, err := d.list.QueryContext(ctx, svc)
	if err != nil {
		return nil, classify(d.path, err)
	}
	defer rows.Close()
	var out []Named
	for rows.Next() {
		var n Named
		if err := rows.Scan(blobCol{"id", &n.ID}, blobCol{"name", &n.Name}); err != nil {
			return nil, classify(d.path, err)
		}
		out = append(out, n)
	}
	return out, classify(d.path, rows.Err())
}

// Put stores it, replacing any item with the same id. It returns once the
// change is durable. A replaced item keeps its stored Svc, which is the
// same: the id is a MAC of the service and key, Svc a MAC of the service.
func (d *DB) Put(ctx context.Context, it *Item) error {
	return d.writer.submit(ctx, &op{put: it, id: it.ID})
}

// Delete removes the item with this id, if any. It returns once the change
// is durable.
func (d *DB) Delete(ctx context.Context, id []byte) error {
	return d.writer.submit(ctx, &op{id: id})
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
