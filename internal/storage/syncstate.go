package storage

import (
	"context"
	"database/sql"
	"errors"
)

// The sync state of synchronizable items (issue 15, docs/SYNC.md). A row of
// sync_items marks an item synchronizable and records where it stands in
// its sync group: the version of its last change (a Lamport counter and
// the device that made it), the etcd revision of the group's copy as last
// seen, and whether a local change still waits to be pushed. A deleted
// synchronizable item keeps its row as a tombstone, so that the delete is
// pushed and an older remote copy cannot bring the item back.
//
// sync_inbox holds remote changes that could not be applied yet because
// their class key is locked on this device: they wait there, still sealed
// under the group key, until Unlock.
const syncItemsTable = `
	CREATE TABLE sync_items (
		id      BLOB PRIMARY KEY,
		svc     BLOB NOT NULL,
		name    BLOB NOT NULL,
		lamport INTEGER NOT NULL,
		device  TEXT NOT NULL,
		rev     INTEGER NOT NULL,
		pending INTEGER NOT NULL,
		deleted INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE sync_inbox (
		key    TEXT PRIMARY KEY,
		record BLOB NOT NULL,
		rev    INTEGER NOT NULL
	) WITHOUT ROWID;`

// SyncRow is one item's sync state. Device "" means this device (the
// store does not know its device id; the sync group does).
type SyncRow struct {
	ID, Svc []byte // the item's, as in Item
	Name    []byte // the item's sealed name, kept for tombstones
	Lamport uint64 // version of the last change: a Lamport counter
	Device  string // and the device that made it
	Rev     int64  // etcd mod revision of the group's copy as last seen; 0 = never pushed
	Pending bool   // a local change waits to be pushed
	Deleted bool   // the item is deleted: this row is its tombstone
}

const syncCols = `id, svc, name, lamport, device, rev, pending, deleted`

func scanSyncRow(sc interface{ Scan(...any) error }, r *SyncRow) error {
	var lamport, rev, pending, deleted int64
	if err := sc.Scan(blobCol{"id", &r.ID}, blobCol{"svc", &r.Svc}, blobCol{"name", &r.Name},
		intCol{"lamport", &lamport}, &r.Device, intCol{"rev", &rev}, intCol{"pending", &pending}, intCol{"deleted", &deleted}); err != nil {
		return err
	}
	r.Lamport, r.Rev, r.Pending, r.Deleted = uint64(lamport), rev, pending != 0, deleted != 0
	return nil
}

// SyncRow returns the sync state of item id, or ErrNotFound when the item
// is not synchronizable.
func (t *Tx) SyncRow(id []byte) (SyncRow, error) {
	var r SyncRow
	err := scanSyncRow(t.tx.QueryRowContext(t.ctx, `SELECT `+syncCols+` FROM sync_items WHERE id = ?`, id), &r)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, classify(t.path, err)
}

// PutSyncRow stores r, replacing the row of the same id.
func (t *Tx) PutSyncRow(r *SyncRow) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT OR REPLACE INTO sync_items (`+syncCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Svc, r.Name, int64(r.Lamport), r.Device, r.Rev, boolInt(r.Pending), boolInt(r.Deleted))
	return classify(t.path, err)
}

// DeleteSyncRow makes item id local only again (no tombstone).
func (t *Tx) DeleteSyncRow(id []byte) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM sync_items WHERE id = ?`, id)
	return classify(t.path, err)
}

// SyncRows returns every sync row, or only those with Pending set.
func (t *Tx) SyncRows(pendingOnly bool) ([]SyncRow, error) {
	q := `SELECT ` + syncCols + ` FROM sync_items`
	if pendingOnly {
		q += ` WHERE pending != 0`
	}
	rows, err := t.tx.QueryContext(t.ctx, q)
	if err != nil {
		return nil, classify(t.path, err)
	}
	defer rows.Close()
	var out []SyncRow
	for rows.Next() {
		var r SyncRow
		if err := scanSyncRow(rows, &r); err != nil {
			return nil, classify(t.path, err)
		}
		out = append(out, r)
	}
	return out, classify(t.path, rows.Err())
}

// DeleteItem removes the item (svc, id) inside this transaction, if the
// row in its slot is it.
func (t *Tx) DeleteItem(svc, id []byte) error {
	slot, err := slotOf(t.path, id)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, deleteItem, slot, id, svc, nil, nil, nil)
	return classify(t.path, err)
}

// IsSynchronizable reports whether item id has a sync row, in a read
// transaction of its own. A plain write does not need it: PutLocal and
// DeleteLocal check it inside their commit (cond.go), where no other
// process can change the answer before the write.
func (d *DB) IsSynchronizable(ctx context.Context, id []byte) (bool, error) {
	var one int
	err := d.sql.QueryRowContext(ctx, `SELECT 1 FROM sync_items WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, classify(d.path, err)
}

// InboxEntry is a remote change waiting for its class key: the group's
// key for it and its record as etcd held it (sealed under the group key).
type InboxEntry struct {
	Key    string
	Record []byte
	Rev    int64
}

// PutInbox stores e, replacing an older entry for the same key.
func (t *Tx) PutInbox(e *InboxEntry) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT OR REPLACE INTO sync_inbox (key, record, rev) VALUES (?, ?, ?)`, e.Key, e.Record, e.Rev)
	return classify(t.path, err)
}

// DeleteInbox removes the entry for key.
func (t *Tx) DeleteInbox(key string) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM sync_inbox WHERE key = ?`, key)
	return classify(t.path, err)
}

// Inbox returns every waiting entry.
func (t *Tx) Inbox() ([]InboxEntry, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT key, record, rev FROM sync_inbox ORDER BY rev`)
	if err != nil {
		return nil, classify(t.path, err)
	}
	defer rows.Close()
	var out []InboxEntry
	for rows.Next() {
		var e InboxEntry
		if err := rows.Scan(&e.Key, blobCol{"record", &e.Record}, intCol{"rev", &e.Rev}); err != nil {
			return nil, classify(t.path, err)
		}
		out = append(out, e)
	}
	return out, classify(t.path, rows.Err())
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
