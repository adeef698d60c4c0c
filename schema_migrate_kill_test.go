//go:build unix

package securestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testdir"
)

// The schema migration of issue 12 (items in one b-tree keyed by their
// slot, no index) runs in one transaction on the first Open of an old store. These
// tests make a store in the old layout (schema version 1), then open it in
// a process that is killed with SIGKILL at a random moment of the
// migration: afterwards the store opens, and every item reads back.

func init() { helperModes["migrate-open"] = helperMigrateOpen }

const migApp = "mig"

func migOpen(ctx context.Context, dir string) (*securestore.Store, error) {
	return securestore.Open(ctx, securestore.Config{App: migApp, Dir: dir, Protector: "file"})
}

func helperMigrateOpen(args []string) int {
	fmt.Println("opening")
	s, err := migOpen(context.Background(), args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("opened")
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// v1Items is the schema version 1 items table, as that version created it.
const v1Items = `CREATE TABLE items (
		rowid INTEGER PRIMARY KEY,
		id    BLOB NOT NULL UNIQUE,
		svc   BLOB NOT NULL,
		class INTEGER NOT NULL,
		name  BLOB NOT NULL,
		value BLOB NOT NULL
	);
	CREATE INDEX items_by_service ON items (svc);`

// makeV1Store creates a store with n items in dir and rewrites its items
// table into the layout of schema version 1. It returns the items.
func makeV1Store(t *testing.T, dir string, n int) map[string]string {
	t.Helper()
	ctx := t.Context()
	s, err := migOpen(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := range n {
		k := fmt.Sprintf("k%05d", i)
		v := fmt.Sprintf("%s:%s", k, strings.Repeat("v", 200+i%700))
		if err := s.SetItem(ctx, k, v, nil); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app."+migApp+".db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`BEGIN`,
		`ALTER TABLE items RENAME TO items_v2`,
		v1Items,
		`INSERT INTO items (id, svc, class, name, value) SELECT id, svc, class, name, value FROM items_v2`,
		`DROP TABLE items_v2`,
		`DROP TABLE sync_items`, // schema 3's (issue 15): not in version 1
		`DROP TABLE sync_inbox`,
		`PRAGMA user_version = 1`,
		`COMMIT`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return want
}

// schemaVersion reads the user_version of the store's database in dir.
func schemaVersion(t *testing.T, dir string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app."+migApp+".db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkMigrated opens the store in dir and checks it holds exactly want.
func checkMigrated(t *testing.T, dir string, want map[string]string, where string) {
	t.Helper()
	ctx := t.Context()
	s, err := migOpen(ctx, dir)
	if err != nil {
		t.Fatalf("%s: Open: %v", where, err)
	}
	defer s.Close()
	for k, v := range want {
		got, err := s.GetItem(ctx, k, nil)
		if err != nil || got != v {
			t.Fatalf("%s: %s = %.30q, %v; want its value", where, k, got, err)
		}
	}
	keys, err := s.Keys(ctx, nil)
	if err != nil || len(keys) != len(want) {
		t.Fatalf("%s: Keys: %d keys, %v; want %d", where, len(keys), err, len(want))
	}
	if v := schemaVersion(t, dir); v != 3 {
		t.Fatalf("%s: schema version %d after Open, want 3", where, v)
	}
}

func TestMigrateToSlots(t *testing.T) {
	orig := testdir.New(t)
	want := makeV1Store(t, orig, 50)
	if v := schemaVersion(t, orig); v != 1 {
		t.Fatalf("the old store has schema version %d, want 1", v)
	}
	dir := testdir.New(t)
	tamperCopy(t, orig, dir)
	checkMigrated(t, dir, want, "migrated")
}

// TestMigrateKilled kills the process migrating a 1500-item store at a
// random moment up to the time one migration takes, many times. The kill
// is fault injection, not synchronisation: whatever moment it hits, the
// outcome must be the old schema or the new one, every item intact.
func TestMigrateKilled(t *testing.T) {
	seed := helperSeed(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	orig := testdir.New(t)
	want := makeV1Store(t, orig, 1500)

	// How long one migrating Open takes, from the helper's "opening".
	dir := testdir.New(t)
	tamperCopy(t, orig, dir)
	p := helperStart(t, "migrate-open", dir)
	if l, _ := p.next(); l != "opening" {
		t.Fatalf("helper said %q", l)
	}
	start := time.Now()
	if l, _ := p.next(); l != "opened" {
		t.Fatalf("helper said %q", l)
	}
	span := time.Since(start)
	p.finish(t)
	t.Logf("one migrating Open takes %v", span)

	rounds := damageTrials(t, 20) / 10
	rounds = max(rounds, 20)
	var old, migrated int
	for round := range rounds {
		tamperCopy(t, orig, dir)
		p := helperStart(t, "migrate-open", dir)
		if l, _ := p.next(); l != "opening" {
			t.Fatalf("helper said %q", l)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(span) + 1))) // the kill point
		p.kill(t)
		switch v := schemaVersion(t, dir); v {
		case 1:
			old++
		case 3: // the migrations run 1 → 3 in one transaction
			migrated++
		default:
			t.Fatalf("round %d: schema version %d after the kill", round, v)
		}
		checkMigrated(t, dir, want, fmt.Sprintf("round %d (seed %d)", round, seed))
	}
	t.Logf("%d kills: %d left the old schema, %d the new one; every item read back after each", rounds, old, migrated)
}
