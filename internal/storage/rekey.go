package storage

import (
	"database/sql"
	"errors"
	"math"
)

// Re-sealing every item of some classes inside one transaction, for a
// passcode change that gives those classes fresh keys: the rows are read
// in slot order (the table's own key, so no sort and no index), a page at
// a time, so that memory stays bounded at any number of items, and
// rewritten in place.

// ItemsAfter returns up to limit items whose slot comes after the slot of
// the item id after (nil: from the first), in slot order.
func (t *Tx) ItemsAfter(after []byte, limit int) ([]Item, error) {
	q := `SELECT id, svc, class, name, value FROM items WHERE slot >= ? ORDER BY slot LIMIT ?`
	from := int64(math.MinInt64)
	if after != nil {
		slot, err := slotOf(t.path, after)
		if err != nil {
			return nil, err
		}
		q, from = `SELECT id, svc, class, name, value FROM items WHERE slot > ? ORDER BY slot LIMIT ?`, slot
	}
	rows, err := t.tx.QueryContext(t.ctx, q, from, limit)
	if err != nil {
		return nil, classify(t.path, err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(blobCol{"id", &it.ID}, blobCol{"svc", &it.Svc}, byteCol{"class", &it.Class},
			blobCol{"name", &it.Name}, blobCol{"value", &it.Value}); err != nil {
			return nil, classify(t.path, err)
		}
		out = append(out, it)
	}
	return out, classify(t.path, rows.Err())
}

// ValueSetter replaces sealed values inside one transaction, with one
// prepared statement for all of them.
type ValueSetter struct {
	t    *Tx
	stmt *sql.Stmt
}

// ValueSetter returns a setter for t; the caller closes it.
func (t *Tx) ValueSetter() (*ValueSetter, error) {
	stmt, err := t.tx.PrepareContext(t.ctx, `UPDATE items SET value = ? WHERE slot = ? AND id = ?`)
	if err != nil {
		return nil, classify(t.path, err)
	}
	return &ValueSetter{t: t, stmt: stmt}, nil
}

// Set replaces the sealed value of the item with this id.
func (s *ValueSetter) Set(id, value []byte) error {
	slot, err := slotOf(s.t.path, id)
	if err != nil {
		return err
	}
	res, err := s.stmt.ExecContext(s.t.ctx, value, slot, id)
	if err != nil {
		return classify(s.t.path, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(ErrNotFound, err)
	}
	return nil
}

// Close releases the prepared statement.
func (s *ValueSetter) Close() { s.stmt.Close() }

// CountItems returns how many items there are of each class.
func (t *Tx) CountItems() (map[uint8]int, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT class, count(*) FROM items GROUP BY class`)
	if err != nil {
		return nil, classify(t.path, err)
	}
	defer rows.Close()
	out := map[uint8]int{}
	for rows.Next() {
		var c uint8
		var n int64
		if err := rows.Scan(byteCol{"class", &c}, intCol{"count", &n}); err != nil {
			return nil, classify(t.path, err)
		}
		out[c] = int(n)
	}
	return out, classify(t.path, rows.Err())
}
