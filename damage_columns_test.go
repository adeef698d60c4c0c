package securestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/internal/testonly"
	"github.com/securestore-go/securestore/protector"
)

// Issue 12, finding 3: every error on every path wraps a public sentinel,
// and no error quotes bytes read from the store. Each case below damages
// one column of one table (or one meta row) the way a damaged file can: a
// value of another type, NULL, a truncated or a lengthened blob. Planted
// values hold colMarker, so a message that quotes what it read is caught.

const colMarker = "SECRET-BYTES-FOR-DISPLAY"

var colPasscode = []byte("1234")

// publicSentinels are the errors a caller may test for.
var publicSentinels = []error{
	securestore.ErrNotFound, securestore.ErrInvalidKey, securestore.ErrValueTooLarge,
	securestore.ErrInvalidOption, securestore.ErrLocked, securestore.ErrNoPasscode,
	securestore.ErrWrongPasscode, securestore.ErrNotEntitled, securestore.ErrCorrupt,
	securestore.ErrClosed, securestore.ErrDiskFull, securestore.ErrUnavailable,
	protector.ErrUnavailable, protector.ErrUnknown, protector.ErrWrongMachine,
	protector.ErrKeyMissing, protector.ErrKeyCorrupt, protector.ErrLocked,
	context.Canceled, context.DeadlineExceeded,
}

// checkTyped fails t unless err is nil or wraps a public sentinel and
// holds no planted marker.
func checkTyped(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), colMarker) || strings.Contains(err.Error(), "X'") {
		t.Errorf("%s: the error quotes stored bytes: %v", what, err)
	}
	for _, s := range publicSentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Errorf("%s: the error wraps no public sentinel: %v", what, err)
}

// colCase is one kind of damage: SQL run on the closed store's database
// (with "?" bound to the marker), and whether it needs NOT NULL lifted.
type colCase struct {
	name  string
	query string
	null  bool
}

func colCases() []colCase {
	var cases []colCase
	add := func(name, query string) { cases = append(cases, colCase{name: name, query: query}) }
	// Values of every other type, and blobs of wrong lengths.
	damage := func(table, col, where string, integer bool) {
		set := func(kind, expr string) {
			add(fmt.Sprintf("%s.%s%s=%s", table, col, where, kind), fmt.Sprintf(`UPDATE %s SET %s = %s%s`, table, col, expr, where))
		}
		set("text", "?")
		set("blob", "CAST(? AS BLOB)")
		set("real", "1.5")
		if integer {
			set("int-big", "4096")
			set("int-neg", "-1")
		} else {
			set("int", "42")
			set("truncated", fmt.Sprintf("substr(%s, 1, length(%s)/2)", col, col))
			set("empty", "x''")
			set("longer", fmt.Sprintf("%s || CAST(? AS BLOB)", col))
		}
		cases = append(cases, colCase{name: fmt.Sprintf("%s.%s%s=null", table, col, where),
			query: fmt.Sprintf(`UPDATE %s SET %s = NULL%s`, table, col, where), null: true})
	}
	for _, row := range []string{"store", "protector", "device_key", "passcode", "passcode_failures"} {
		damage("meta", "value", fmt.Sprintf(" WHERE name = '%s'", row), false)
		add("meta."+row+"=renamed", fmt.Sprintf(`UPDATE meta SET name = ? WHERE name = '%s'`, row))
	}
	add("meta=extra-row", `INSERT INTO meta (name, value) VALUES (?, CAST(? AS BLOB))`)
	damage("class_keys", "wrapping", "", true)
	damage("class_keys", "blob", "", false)
	add("class_keys.class=other", `UPDATE class_keys SET class = class + 100`)
	// One row of items.
	const oneItem = " WHERE id = (SELECT id FROM items ORDER BY id LIMIT 1)"
	for _, col := range []string{"id", "svc", "name", "value"} {
		damage("items", col, oneItem, false)
	}
	damage("items", "class", oneItem, true)
	return cases
}

// colItems are the items of the store the cases damage.
var colItems = []struct {
	key   string
	class securestore.Accessibility
}{
	{"always", securestore.Always},
	{"unlocked", securestore.WhenUnlocked},
	{"after", securestore.AfterFirstUnlock},
	{"device", securestore.WhenPasscodeSetThisDeviceOnly},
}

func colOpen(ctx context.Context, dir string) (*securestore.Store, error) {
	return securestore.Open(ctx, securestore.Config{App: "cols", Dir: dir, Protector: "file"})
}

func colOpts(c securestore.Accessibility) *securestore.Options {
	return &securestore.Options{KeychainService: "svc", KeychainAccessible: c}
}

func TestDamagedColumnsGiveTypedErrors(t *testing.T) {
	ctx := testonly.WithCheapKDFs(t.Context())
	orig := testdir.New(t)
	s, err := colOpen(ctx, orig)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasscode(ctx, nil, append([]byte(nil), colPasscode...)); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(ctx, append([]byte(nil), colPasscode...)); err != nil {
		t.Fatal(err)
	}
	for _, it := range colItems {
		if err := s.SetItem(ctx, it.key, "value of "+it.key, colOpts(it.class)); err != nil {
			t.Fatal(err)
		}
	}
	// One wrong passcode, so that the failure counter's row exists.
	if err := s.Unlock(ctx, []byte("wrong")); !errors.Is(err, securestore.ErrWrongPasscode) {
		t.Fatalf("Unlock with a wrong passcode: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range colCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := testdir.New(t)
			tamperCopy(t, orig, dir)
			colDamage(t, filepath.Join(dir, "app.cols.db"), tc)
			colExercise(t, ctx, dir)
		})
	}
}

// colDamage runs tc on the database at path.
func colDamage(t *testing.T, path string, tc colCase) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if tc.null {
		// A damaged record can hold NULL where the schema says NOT NULL;
		// SQLite checks the constraint only on writes.
		for _, q := range []string{`PRAGMA writable_schema = ON`,
			`UPDATE sqlite_schema SET sql = replace(sql, 'NOT NULL', '') WHERE type = 'table'`,
			`PRAGMA writable_schema = RESET`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	args := make([]any, strings.Count(tc.query, "?"))
	for i := range args {
		args[i] = colMarker
	}
	res, err := db.Exec(tc.query, args...)
	if err != nil {
		t.Fatalf("%s: %v", tc.query, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed no row", tc.query)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
}

// colExercise runs every operation on the damaged store in dir and checks
// that each error is typed and quotes nothing, and that a value read is
// the one written.
func colExercise(t *testing.T, ctx context.Context, dir string) {
	s, err := colOpen(ctx, dir)
	checkTyped(t, "Open", err)
	if errors.Is(err, securestore.ErrInvalidOption) {
		t.Errorf("Open: damage reported as a wrong option: %v", err)
	}
	if err != nil {
		return
	}
	defer s.Close()
	run := func() {
		for _, it := range colItems {
			v, err := s.GetItem(ctx, it.key, colOpts(it.class))
			checkTyped(t, "GetItem "+it.key, err)
			if err == nil && v != "value of "+it.key {
				t.Errorf("GetItem %s = a wrong value", it.key)
			}
			_, err = s.HasItem(ctx, it.key, colOpts(it.class))
			checkTyped(t, "HasItem "+it.key, err)
		}
		_, err := s.Keys(ctx, colOpts(securestore.Always))
		checkTyped(t, "Keys", err)
		checkTyped(t, "Export", s.Export(ctx, io.Discard, []byte("export passphrase")))
	}
	run()
	checkTyped(t, "Unlock", s.Unlock(ctx, append([]byte(nil), colPasscode...)))
	run()
	checkTyped(t, "SetItem new", s.SetItem(ctx, "new", "new value", colOpts(securestore.Always)))
	checkTyped(t, "SetItem existing", s.SetItem(ctx, "always", "value of always", colOpts(securestore.Always)))
	checkTyped(t, "DeleteItem", s.DeleteItem(ctx, "unlocked", colOpts(securestore.WhenUnlocked)))
}
