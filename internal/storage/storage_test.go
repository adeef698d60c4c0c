package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var ctx = context.Background()

func openTemp(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, path
}

func item(i int) *Item {
	b := []byte(fmt.Sprintf("%08d", i)) // 8 bytes: the slot is an id's first 8
	return &Item{ID: b, Svc: []byte("svc"), Class: 1, Name: b, Value: bytes.Repeat(b, 10)}
}

func TestPutGetDelete(t *testing.T) {
	d, _ := openTemp(t)
	if _, _, err := d.Get(ctx, []byte("svc"), []byte("00000001")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Put: %v", err)
	}
	if err := d.Put(ctx, item(1)); err != nil {
		t.Fatal(err)
	}
	class, v, err := d.Get(ctx, []byte("svc"), []byte("00000001"))
	if err != nil || class != 1 || !bytes.Equal(v, item(1).Value) {
		t.Fatalf("Get = %d %q %v", class, v, err)
	}
	if ok, err := d.Has(ctx, []byte("svc"), []byte("00000001")); !ok || err != nil {
		t.Fatalf("Has = %v %v", ok, err)
	}
	rows, err := d.listService(ctx, []byte("svc"))
	if err != nil || len(rows) != 1 || string(rows[0].ID) != "00000001" {
		t.Fatalf("ListService = %v %v", rows, err)
	}
	if err := d.Delete(ctx, []byte("svc"), []byte("00000001")); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.Has(ctx, []byte("svc"), []byte("00000001")); ok || err != nil {
		t.Fatalf("Has after Delete = %v %v", ok, err)
	}
}

// TestGroupCommit holds the database's write lock from another connection
// while writes queue up, then releases it: the writer must commit all the
// queued writes in one transaction, not one each.
func TestGroupCommit(t *testing.T) {
	d, path := openTemp(t)
	other, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('lock', x'00')`); err != nil {
		t.Fatal(err)
	}

	const n = 100
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	submit := func(i int) {
		defer wg.Done()
		errs[i] = d.Put(ctx, item(i))
	}
	// The first write is taken by the writer, alone, which then waits for
	// the lock.
	wg.Add(1)
	go submit(n)
	for w := d.writer.Load(); w == nil || w.taken.Load() != 1; w = d.writer.Load() {
		runtime.Gosched()
	}
	// The rest queue behind it.
	wg.Add(n)
	for i := 0; i < n; i++ {
		go submit(i)
	}
	for len(d.writer.Load().ops) != n {
		runtime.Gosched()
	}
	if err := lock.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	if got := d.writer.Load().commits.Load(); got != 2 {
		t.Fatalf("%d writes took %d commits, want 2 (the first alone, then all queued ones together)", n+1, got)
	}
	rows, err := d.listService(ctx, []byte("svc"))
	if err != nil || len(rows) != n+1 {
		t.Fatalf("ListService: %d rows, %v", len(rows), err)
	}
}

func TestCanceledWriteIsNotApplied(t *testing.T) {
	d, _ := openTemp(t)
	c, cancel := context.WithCancel(ctx)
	cancel()
	if err := d.Put(c, item(1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a canceled context: %v", err)
	}
	if ok, _ := d.Has(ctx, []byte("svc"), []byte("00000001")); ok {
		t.Fatal("a write whose context was canceled before it was queued was applied")
	}
}

func TestSchemaVersion(t *testing.T) {
	d, path := openTemp(t)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := Open(ctx, path) // reopening an up-to-date store changes nothing
	if err != nil {
		t.Fatal(err)
	}
	d.Close()

	raw, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := Open(ctx, path); !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open of a newer schema: %v, want ErrTooNew", err)
	}
}

// Opening a store whose schema is current takes no write lock, so a
// reader's Open does not wait for another process's write transaction.
func TestOpenDoesNotWaitForWriters(t *testing.T) {
	d, path := openTemp(t)
	d.Close()
	raw, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin() // _txlock=immediate: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	short, cancel := context.WithTimeout(ctx, BusyTimeout/4)
	defer cancel()
	d, err = Open(short, path)
	if err != nil {
		t.Fatalf("Open while another connection holds the write lock: %v", err)
	}
	d.Close()
}

func TestRefusesForeignDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE t (x); PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := Open(ctx, path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of another program's database: %v, want ErrCorrupt", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, junk); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a junk file: %v, want ErrCorrupt", err)
	}
}

func TestDSNEscapesPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%d e")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %q: %v", path, err)
	}
}

// TestConcurrentOpenOfNewDatabase opens one new database from many
// connections at once, as several processes creating the same store do:
// converting a fresh file to WAL mode needs an exclusive lock, and two
// connections racing for it deadlock, which SQLite answers with an
// immediate SQLITE_BUSY rather than a wait. Every Open must succeed.
func TestConcurrentOpenOfNewDatabase(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("new-%d.db", round))
		const openers = 12
		var wg sync.WaitGroup
		errs := make([]error, openers)
		start := make(chan struct{})
		for i := range openers {
			wg.Go(func() {
				<-start
				d, err := Open(ctx, path)
				if err == nil {
					err = d.Close()
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, opener %d: %v", round, i, err)
			}
		}
	}
}

// listService returns the key and name of every item whose service tag
// is svc, as Keys sees them.
func (d *DB) listService(ctx context.Context, svc []byte) ([]Named, error) {
	var out []Named
	err := d.Walk(ctx, func(n *Named) error {
		if bytes.Equal(n.Svc, svc) {
			out = append(out, Named{Svc: bytes.Clone(n.Svc), ID: bytes.Clone(n.ID), Name: bytes.Clone(n.Name)})
		}
		return nil
	})
	return out, err
}

// TestSlotTaken: an item whose slot (the first 8 bytes of its id) another
// item holds is refused, through Put and through Tx.PutItem, and the other
// item stays as it was.
func TestSlotTaken(t *testing.T) {
	d, _ := openTemp(t)
	a := &Item{ID: []byte("samesame-A"), Svc: []byte("svc"), Class: 1, Name: []byte("a"), Value: []byte("value a")}
	b := &Item{ID: []byte("samesame-B"), Svc: []byte("svc"), Class: 1, Name: []byte("b"), Value: []byte("value b")}
	if err := d.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, b); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Put into a taken slot: %v; want ErrCorrupt", err)
	}
	err := d.Update(ctx, func(tx *Tx) error { return tx.PutItem(b) })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("PutItem into a taken slot: %v; want ErrCorrupt", err)
	}
	if _, v, err := d.Get(ctx, a.Svc, a.ID); err != nil || string(v) != "value a" {
		t.Fatalf("Get a = %q, %v", v, err)
	}
	if _, _, err := d.Get(ctx, b.Svc, b.ID); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get b: %v; want ErrCorrupt (the slot holds another row)", err)
	}
}

// TestNewDatabaseHasCurrentSchema: a new database gets the schema the
// migrations build, with no freed pages left behind.
func TestNewDatabaseHasCurrentSchema(t *testing.T) {
	_, path := openTemp(t)
	newDB := schemaOf(t, path)
	old := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:1] {
		if _, err := raw.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`PRAGMA user_version = 1; PRAGMA application_id = 1397970002`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	d, err := Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if migrated := schemaOf(t, old); migrated != newDB {
		t.Errorf("a new database's schema:\n%s\na migrated one's:\n%s", newDB, migrated)
	}
	var free int
	raw, _ = sql.Open("sqlite", "file:"+path)
	defer raw.Close()
	if err := raw.QueryRow(`PRAGMA freelist_count`).Scan(&free); err != nil || free != 0 {
		t.Errorf("a new database has %d free pages (%v)", free, err)
	}
}

// schemaOf lists the tables and columns of the database at path.
func schemaOf(t *testing.T, path string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT m.name, p.name, p.type, p."notnull", p.pk FROM sqlite_schema m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var tbl, col, typ string
		var nn, pk int
		if err := rows.Scan(&tbl, &col, &typ, &nn, &pk); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s.%s %s notnull=%d pk=%d\n", tbl, col, typ, nn, pk)
	}
	return b.String()
}
