package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// applicationID marks the file as a securestore database ("SSTR"), so that
// Open refuses a database some other program wrote.
const applicationID = 0x53535452

// migrations[i] brings the schema from version i to version i+1. Append
// only: a released migration never changes. docs/FORMAT.md describes the
// resulting schema.
var migrations = []string{
	// 0 → 1: the first format.
	`CREATE TABLE meta (
		name  TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);
	CREATE TABLE class_keys (
		class    INTEGER PRIMARY KEY,
		wrapping INTEGER NOT NULL,
		blob     BLOB NOT NULL
	);
	CREATE TABLE items (
		rowid INTEGER PRIMARY KEY,
		id    BLOB NOT NULL UNIQUE,
		svc   BLOB NOT NULL,
		class INTEGER NOT NULL,
		name  BLOB NOT NULL,
		value BLOB NOT NULL
	);
	CREATE INDEX items_by_service ON items (svc);`,

	// 1 → 2: items in one b-tree, the table's own, keyed by the item's
	// slot (slotOf(id)): no index. Before, a lookup went through the
	// index on id to a rowid, and Keys through the index on svc: two
	// structures that damage could make disagree with the rows, so that a
	// stored item read as absent with no error. The rows move in Go
	// (migrateSlots), which computes the slots, in the one transaction of
	// migrate.
	`CREATE TABLE items_v2 (
		slot  INTEGER PRIMARY KEY,
		id    BLOB NOT NULL,
		svc   BLOB NOT NULL,
		class INTEGER NOT NULL,
		name  BLOB NOT NULL,
		value BLOB NOT NULL
	);`,

	// 2 → 3: the sync state of synchronizable items (issue 15), a table
	// of its own so that the items table and its readers stay as they
	// are: a row marks an item synchronizable (syncstate.go).
	syncItemsTable,
}

// currentSchema is what the migrations build, for a new database.
const currentSchema = `CREATE TABLE meta (
		name  TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);
	CREATE TABLE class_keys (
		class    INTEGER PRIMARY KEY,
		wrapping INTEGER NOT NULL,
		blob     BLOB NOT NULL
	);
	CREATE TABLE items (
		slot  INTEGER PRIMARY KEY,
		id    BLOB NOT NULL,
		svc   BLOB NOT NULL,
		class INTEGER NOT NULL,
		name  BLOB NOT NULL,
		value BLOB NOT NULL
	);` + syncItemsTable

// maxNewerVersions is how far beyond SchemaVersion a version is taken
// for a newer securestore's (ErrTooNew) rather than for damage.
const maxNewerVersions = 1000

// SchemaVersion is the schema version this program writes.
var SchemaVersion = len(migrations)

func (d *DB) migrate(ctx context.Context) error {
	// Nearly every Open finds the schema current. Check for that first
	// without the write lock: a process that only reads (securestore get,
	// a credential helper's get) then neither starts a write transaction
	// nor waits for another process's commit to end before it can start.
	// Anything else, including a header that reads oddly because another
	// process is creating the database right now, takes the locked path,
	// which checks again and reports what is wrong.
	if current, err := d.schemaCurrent(ctx); err != nil || current {
		return err
	}
	return d.update(ctx, func(tx *sql.Tx) error {
		var version, appID int
		if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
			return err
		}
		// The header's fields are plain bytes of the file: a damaged one
		// may read as anything. A new database has both at 0; a
		// securestore database has a positive version and our id.
		switch {
		case version < 0 || version == 0 && appID != 0:
			return fmt.Errorf("%w: %s has schema version %d with application_id %#x", ErrCorrupt, d.path, version, appID)
		case version > 0 && appID != applicationID:
			return fmt.Errorf("%w: %s is not a securestore database (application_id %#x)", ErrCorrupt, d.path, appID)
		}
		if version > len(migrations)+maxNewerVersions {
			// Far beyond any version a newer securestore could have
			// written: a damaged header, not a newer format.
			return fmt.Errorf("%w: %s has schema version %d, which no securestore writes", ErrCorrupt, d.path, version)
		}
		if version > len(migrations) {
			return fmt.Errorf("%w: %s has schema version %d, this program knows up to %d; upgrade securestore",
				ErrTooNew, d.path, version, len(migrations))
		}
		if version == len(migrations) {
			return nil
		}
		if version == 0 {
			// A new database gets the current schema at once: running
			// the old migrations would leave the pages of the tables they
			// drop on the freelist, stale b-tree pages that damage to a
			// child pointer could bring back.
			if _, err := tx.ExecContext(ctx, currentSchema); err != nil {
				return fmt.Errorf("schema: %w", err)
			}
			version = len(migrations)
		}
		for v := version; v < len(migrations); v++ {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("schema %d→%d: %w", v, v+1, err)
			}
			if v == 1 {
				if err := migrateSlots(ctx, d.path, tx); err != nil {
					return fmt.Errorf("schema %d→%d: %w", v, v+1, err)
				}
			}
		}
		// PRAGMA takes no bound parameters; both values are constants.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id = %d`, applicationID))
		return err
	})
}

// schemaCurrent reports whether the database already has this program's
// schema version and securestore's application id, reading the header
// without a write lock.
func (d *DB) schemaCurrent(ctx context.Context) (bool, error) {
	var version, appID int
	err := d.sql.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version), (SELECT application_id FROM pragma_application_id)`).Scan(&version, &appID)
	if err != nil {
		return false, err
	}
	return version == len(migrations) && appID == applicationID, nil
}

// update runs fn in one write transaction (BEGIN IMMEDIATE, so that it
// waits up to BusyTimeout for other writers instead of failing midway).
func (d *DB) update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return classify(d.path, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(d.path, err)
	}
	return classify(d.path, tx.Commit())
}

// migrateSlots is the Go part of migration 1 → 2: it copies every item
// into items_v2 under its slot, then replaces items with items_v2.
func migrateSlots(ctx context.Context, path string, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, svc, class, name, value FROM items`)
	if err != nil {
		return err
	}
	var all []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(blobCol{"id", &it.ID}, blobCol{"svc", &it.Svc}, byteCol{"class", &it.Class},
			blobCol{"name", &it.Name}, blobCol{"value", &it.Value}); err != nil {
			rows.Close()
			return err
		}
		all = append(all, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO items_v2 (slot, id, svc, class, name, value) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, it := range all {
		slot, err := slotOf(path, it.ID)
		if err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, slot, it.ID, it.Svc, it.Class, it.Name, it.Value); err != nil {
			return err
		}
	}
	for _, q := range []string{`DROP TABLE items`, `ALTER TABLE items_v2 RENAME TO items`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
