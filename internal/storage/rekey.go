package storage

import (
	"database/sql"
	"errors"
)

// Re-sealing every item of some classes inside one transaction, for a
// passcode change that gives those classes fresh keys: the rows are read
// in id order, a page at a time, so that memory stays bounded at any
// number of items, and rewritten in place.

// ItemsAfter returns up to limit items whose id sorts after after (nil:
// from the first), in id order.
func (t *Tx) ItemsAfter(after []byte, limit int) ([]Item, error) {
	if after == nil {
		after = []byte{}
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id, svc, class, name, value FROM items WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.Svc, &it.Class, &it.Name, &it.Value); err != nil {
			return nil, classify(err)
		}
		out = append(out, it)
	}
	return out, classify(rows.Err())
}

// ValueSetter replaces sealed values inside one transaction, with one
// prepared statement for all of them.
type ValueSetter struct {
	t    *Tx
	stmt *sql.Stmt
}

// ValueSetter returns a setter for t; the caller closes it.
func (t *Tx) ValueSetter() (*ValueSetter, error) {
	stmt, err := t.tx.PrepareContext(t.ctx, `UPDATE items SET value = ? WHERE id = ?`)
	if err != nil {
		return nil, classify(err)
	}
	return &ValueSetter{t: t, stmt: stmt}, nil
}

// Set replaces the sealed value of the item with this id.
func (s *ValueSetter) Set(id, value []byte) error {
	res, err := s.stmt.ExecContext(s.t.ctx, value, id)
	if err != nil {
		return classify(err)
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
		return nil, classify(err)
	}
	defer rows.Close()
	out := map[uint8]int{}
	for rows.Next() {
		var c uint8
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return nil, classify(err)
		}
		out[c] = n
	}
	return out, classify(rows.Err())
}
