package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
)

// Item is one sealed record as stored. Every field is either a keyed MAC or
// ciphertext; Class is the accessibility class, kept in clear so that the
// right class key can be chosen before decrypting (it is also bound into
// the value's associated data, so altering it only makes the value fail).
//
// The items table is one b-tree, keyed by the item's slot (slotOf(ID)),
// with no index beside it (docs/FORMAT.md): there is no second structure
// that damage could make disagree with the rows.
type Item struct {
	ID    []byte // keyed MAC of (service, key): the lookup key
	Svc   []byte // keyed MAC of the service: what Keys filters by
	Class uint8
	Name  []byte // sealed (service, key)
	Value []byte // sealed value
}

// slotOf is the table key of the item whose id is id: its first 8 bytes as
// a signed integer, SQLite's rowid. The id is a keyed MAC, so two items'
// slots coincide with probability 2^-64 per pair, and nobody without the
// store's keys can make them; an item whose slot another item holds is
// refused (ErrCorrupt) rather than allowed to replace it. A rowid key keeps
// a whole 2 KB row on its leaf page, where a WITHOUT ROWID table keyed by
// the id would put most of it on an overflow page of its own.
func slotOf(path string, id []byte) (int64, error) {
	if len(id) < 8 {
		return 0, fmt.Errorf("%w: %s: an item id of %d bytes", ErrCorrupt, path, len(id))
	}
	return int64(binary.BigEndian.Uint64(id)), nil
}

// upsertItem stores an item in its slot, replacing the item with the same
// id; the ON CONFLICT's WHERE leaves another item in the slot untouched.
// It applies only if the write's preconditions (cond.go) hold, checked in
// the same statement, so that the common write is one statement: ?7 and
// ?8 a Cond's meta name and wanted value (?7 NULL: no Cond; an absent
// setting reads as empty), ?9 the id of a local write, which needs the
// item to have no sync row (NULL: not asked). No row changed means a
// precondition failed or another item's row holds the slot; the writer
// then asks which (skipOf).
const upsertItem = `INSERT INTO items (slot, id, svc, class, name, value)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6
	WHERE (?7 IS NULL OR coalesce((SELECT value FROM meta WHERE name = ?7), x'') = coalesce(?8, x''))
		AND (?9 IS NULL OR NOT EXISTS (SELECT 1 FROM sync_items WHERE id = ?9))
	ON CONFLICT (slot) DO UPDATE SET class = excluded.class, name = excluded.name, value = excluded.value
	WHERE items.id = excluded.id AND items.svc = excluded.svc`

// deleteItem removes the item, only if the row in its slot is it and the
// preconditions hold (?4 to ?6 as ?7 to ?9 of upsertItem).
const deleteItem = `DELETE FROM items WHERE slot = ?1 AND id = ?2 AND svc = ?3
	AND (?4 IS NULL OR coalesce((SELECT value FROM meta WHERE name = ?4), x'') = coalesce(?5, x''))
	AND (?6 IS NULL OR NOT EXISTS (SELECT 1 FROM sync_items WHERE id = ?6))`

const selectItem = `SELECT id, svc, class, value FROM items WHERE slot = ?`

// slotTaken reports an upsert that changed no row: another item's row is
// in the slot (a collision, or a damaged row).
func slotTaken(path string) error {
	return fmt.Errorf("%w: %s: another row holds the item's slot", ErrCorrupt, path)
}

// Get returns the class and sealed value of the item (svc, id). The value
// may be shared with the row cache (rowcache.go): the caller must not
// modify it.
//
// ErrNotFound means SQLite's search of the b-tree found no such row. A
// damaged interior page can misdirect that search; a caller that must not
// report a stored item as absent confirms the miss with Tx.Get and Tx.Walk
// in one View, so that the search and the walk see the same snapshot.
func (d *DB) Get(ctx context.Context, svc, id []byte) (class uint8, value []byte, err error) {
	slot, err := slotOf(d.path, id)
	if err != nil {
		return 0, nil, err
	}
	if d.readers == nil {
		return getItem(d.path, svc, id, d.get.QueryRowContext(ctx, slot))
	}
	c := d.cache.Load()
	if c == nil {
		class, value, err = d.readers.get(ctx, svc, id, slot)
		if err == nil {
			d.startCache() // after a read: SQLite has mapped the -shm
		}
		return class, value, err
	}
	if r, ok := c.get(slot); ok && bytes.Equal(r.id, id) && bytes.Equal(r.svc, svc) {
		return r.class, r.value, nil
	}
	before, ok := c.header()
	class, value, err = d.readers.get(ctx, svc, id, slot)
	if err == nil && ok && c.room(before, len(id)+len(svc)+len(value)) {
		c.put(slot, before, &cachedRow{id: bytes.Clone(id), svc: bytes.Clone(svc), class: class, value: value})
	}
	return class, value, err
}

// Get is DB.Get within the transaction's snapshot.
func (t *Tx) Get(svc, id []byte) (class uint8, value []byte, err error) {
	slot, err := slotOf(t.path, id)
	if err != nil {
		return 0, nil, err
	}
	return getItem(t.path, svc, id, t.tx.QueryRowContext(t.ctx, selectItem, slot))
}

func getItem(path string, svc, id []byte, row *sql.Row) (class uint8, value []byte, err error) {
	var gotID, gotSvc []byte
	err = row.Scan(blobCol{"id", &gotID}, blobCol{"svc", &gotSvc}, byteCol{"class", &class}, blobCol{"value", &value})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ErrNotFound
	}
	if err != nil {
		return 0, nil, classify(path, err)
	}
	if !bytes.Equal(gotID, id) || !bytes.Equal(gotSvc, svc) {
		// Put never lets an item take another's slot: the row is damaged.
		return 0, nil, fmt.Errorf("%w: %s: the row in the item's slot is not the item's", ErrCorrupt, path)
	}
	return class, value, nil
}

// Has reports whether the item (svc, id) exists, reading no value. A false
// answer is a search's, as Get's ErrNotFound is.
func (d *DB) Has(ctx context.Context, svc, id []byte) (bool, error) {
	_, _, err := d.Get(ctx, svc, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// GetProven is Get whose ErrNotFound is proven: when the search finds no
// row, it searches again and walks the whole table in one snapshot (so
// that a write by another process in between is not taken for damage),
// and answers ErrNotFound only if the walk checks (Walk) and no row holds
// the item's slot. A row that the walk finds and the search missed means
// the b-tree's search structure is damaged: ErrCorrupt. The walk reads
// every row's key but no value and decrypts nothing; it costs a scan of
// the table, paid once per version of the database: its result is kept
// until another commit (proof.go).
func (d *DB) GetProven(ctx context.Context, svc, id []byte) (class uint8, value []byte, err error) {
	class, value, err = d.Get(ctx, svc, id)
	if !errors.Is(err, ErrNotFound) {
		return class, value, err
	}
	if d.proof != nil {
		slot, _ := slotOf(d.path, id) // Get checked the length
		return d.proof.get(ctx, svc, id, slot)
	}
	err = d.View(ctx, func(tx *Tx) error {
		class, value, err = tx.Get(svc, id)
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		slot, _ := slotOf(tx.path, id) // Get checked the length
		return tx.proveAbsent(slot)
	})
	return class, value, err
}

// Named is an item's key and sealed name.
type Named struct {
	Svc, ID []byte
	Name    []byte
}

// Walk calls fn with the key and sealed name of every item, in slot order,
// reading every leaf of the b-tree without searching it. It fails with
// ErrCorrupt when the slots do not come strictly ascending, which is how a
// damaged child pointer (a leaf reached twice, or in the wrong place)
// shows, or when a row's slot is not its id's; and with the error of fn,
// which checks each row's name against its key (only the caller has the
// keys for it).
//
// Walk is what proves a miss: an item that Walk does not see, in a walk
// whose every row checks, is not in the table. The Named passed to fn is
// reused: fn must copy what it keeps.
func (t *Tx) Walk(fn func(*Named) error) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT slot, svc, id, name FROM items ORDER BY slot`)
	if err != nil {
		return classify(t.path, err)
	}
	defer rows.Close()
	var n Named
	var slot, prev int64
	first := true
	for rows.Next() {
		if err := rows.Scan(intCol{"slot", &slot}, blobCol{"svc", &n.Svc}, blobCol{"id", &n.ID}, blobCol{"name", &n.Name}); err != nil {
			return classify(t.path, err)
		}
		if !first && slot <= prev {
			return fmt.Errorf("%w: %s: the items b-tree is out of order", ErrCorrupt, t.path)
		}
		first, prev = false, slot
		if want, err := slotOf(t.path, n.ID); err != nil || want != slot {
			return fmt.Errorf("%w: %s: a row is in another item's slot", ErrCorrupt, t.path)
		}
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

// Put stores it, replacing any item with the same id. It returns once the
// change is durable. The caller hands it over: the row cache may keep its
// slices (rowcache.go), so they must not be modified after the call. The
// same holds for PutIf and PutLocal.
func (d *DB) Put(ctx context.Context, it *Item) error {
	return d.write(ctx, &op{put: it, svc: it.Svc, id: it.ID})
}

// Delete removes the item (svc, id), if any. It returns once the change is
// durable.
func (d *DB) Delete(ctx context.Context, svc, id []byte) error {
	return d.write(ctx, &op{svc: svc, id: id})
}

// write queues o for the writer, starting it if this is the DB's first
// write, and waits for its commit.
func (d *DB) write(ctx context.Context, o *op) error {
	slot, err := slotOf(d.path, o.id)
	if err != nil {
		return err
	}
	o.slot = slot
	w, err := d.startedWriter(ctx)
	if err != nil {
		return err
	}
	return d.written(w.submit(ctx, o))
}

// written passes on a write's outcome; after the first write that
// committed it starts the row cache, which the writer then carries over
// each commit (rowcache.go), so that reads after writes find their rows.
func (d *DB) written(err error) error {
	if err == nil && d.cache.Load() == nil {
		d.startCache()
	}
	return err
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

// proveAbsent walks every row in slot order, reading only its slot and
// the first 8 bytes of its id (so no value is read or copied): slots
// strictly ascending, each row in its id's slot, none in slot. It returns
// ErrNotFound when all holds, else ErrCorrupt.
func (t *Tx) proveAbsent(slot int64) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT slot, substr(id, 1, 8) FROM items ORDER BY slot`)
	if err != nil {
		return classify(t.path, err)
	}
	defer rows.Close()
	var s, prev int64
	var head slotHead
	first := true
	for rows.Next() {
		if err := rows.Scan(intCol{"slot", &s}, &head); err != nil {
			return classify(t.path, err)
		}
		switch {
		case !first && s <= prev:
			return fmt.Errorf("%w: %s: the items b-tree is out of order", ErrCorrupt, t.path)
		case !head.ok || head.slot != s:
			return fmt.Errorf("%w: %s: a row is in another item's slot", ErrCorrupt, t.path)
		case s == slot:
			return fmt.Errorf("%w: %s: the search of the items b-tree missed a stored row", ErrCorrupt, t.path)
		}
		first, prev = false, s
	}
	if err := rows.Err(); err != nil {
		return classify(t.path, err)
	}
	return ErrNotFound
}

// slotHead scans the first 8 bytes of an id into the slot they make,
// without keeping the bytes.
type slotHead struct {
	slot int64
	ok   bool
}

func (h *slotHead) Scan(v any) error {
	b, ok := v.([]byte)
	h.ok = ok && len(b) == 8
	if h.ok {
		h.slot = int64(binary.BigEndian.Uint64(b))
	}
	return nil
}
