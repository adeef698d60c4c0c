package securestore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/protector/file"
)

const (
	tamperApp   = "tamper"
	tamperGroup = "tgroup"
	tamperDB    = "app." + tamperApp + ".db"
	tamperGDB   = "group." + tamperGroup + ".db"
)

// tamperItem is an item of the tamper tests' store: its identity, class
// and value. gone marks an item that was set and then deleted.
type tamperItem struct {
	group, service, key string
	class               securestore.Accessibility
	value               string
	gone                bool
}

func (it tamperItem) opts() *securestore.Options {
	return &securestore.Options{AccessGroup: it.group, KeychainService: it.service, KeychainAccessible: it.class}
}

func (it tamperItem) String() string {
	return fmt.Sprintf("%s/%s/%s", it.group, it.service, it.key)
}

func tamperOpen(ctx context.Context, dir string) (*securestore.Store, error) {
	return securestore.Open(ctx, securestore.Config{
		App: tamperApp, Dir: dir, Protector: "file",
		AccessGroups:  []string{tamperGroup},
		MaxValueBytes: 10000, // so that a few values take overflow pages
	})
}

// tamperStore creates a store in dir that holds items, and closes it.
func tamperStore(t *testing.T, dir string, items ...tamperItem) {
	t.Helper()
	s, err := tamperOpen(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := s.SetItem(t.Context(), it.key, it.value, it.opts()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// tamperWantRefused checks that the store in dir, whose keys or header a
// case altered, does not open, with an error wrapping ErrCorrupt.
func tamperWantRefused(t *testing.T, dir string) {
	t.Helper()
	s, err := tamperOpen(t.Context(), dir)
	if err == nil {
		got, gerr := s.GetItem(t.Context(), tamperA.key, tamperA.opts())
		s.Close()
		t.Fatalf("Open succeeded; GetItem = %.20q, %v", got, gerr)
	}
	if !errors.Is(err, securestore.ErrCorrupt) {
		t.Fatalf("Open: %v; want an error wrapping ErrCorrupt", err)
	}
}

// tamperFill creates a store in dir with items of every writable class in
// several services, in the app's store and an access group, of sizes from
// empty to overflow pages; some are overwritten (the old value is in
// old), some deleted. It closes the store, which checkpoints the WAL into
// the database files.
func tamperFill(t *testing.T, dir string) (items []tamperItem, old map[string][]string) {
	t.Helper()
	ctx := t.Context()
	s, err := tamperOpen(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2)) // the content is fixed; the tampering is random
	old = map[string][]string{}
	sizes := []int{0, 1, 16, 100, 700, 2048, 9000}
	for i := range 40 {
		it := tamperItem{
			service: []string{"", "svc1", "svc2", "svc3"}[i%4],
			key:     fmt.Sprintf("key%02d", i),
			class:   writableClasses[i%len(writableClasses)],
		}
		if i%5 == 4 {
			it.group = tamperGroup
		}
		n := sizes[i%len(sizes)]
		it.value = fmt.Sprintf("value %d:", i) + strings.Repeat(string(rune('A'+i%26)), n)
		if n == 0 {
			it.value = "" // the empty value reads back as "", not as absent
		}
		if i%7 == 3 { // overwritten: the old value must never come back
			prev := fmt.Sprintf("old value %d:", i) + strings.Repeat("o", rng.IntN(300))
			if err := s.SetItem(ctx, it.key, prev, it.opts()); err != nil {
				t.Fatal(err)
			}
			old[it.String()] = append(old[it.String()], prev)
		}
		if err := s.SetItem(ctx, it.key, it.value, it.opts()); err != nil {
			t.Fatal(err)
		}
		if i%9 == 8 { // deleted: must never be found again
			if err := s.DeleteItem(ctx, it.key, it.opts()); err != nil {
				t.Fatal(err)
			}
			it.gone = true
		}
		items = append(items, it)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{tamperDB, tamperGDB} {
		if fi, err := os.Stat(filepath.Join(dir, f+"-wal")); err == nil && fi.Size() > 0 {
			t.Fatalf("%s-wal holds %d bytes after Close; the tampering would miss them", f, fi.Size())
		}
	}
	return items, old
}

// tamperCopy copies the store directory src to dst, private as a store
// directory must be, replacing what dst held.
func tamperCopy(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(src, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// tamperSQL opens a closed store's database file directly.
func tamperSQL(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// tamperRanges returns where in the database file at path the pages of the
// items table and its indexes lie, and where each stored id, service tag,
// name and value blob lies, as [start, end) byte ranges.
func tamperRanges(t *testing.T, scratch, path string) (pages, blobs [][2]int) {
	t.Helper()
	tamperCopy(t, filepath.Dir(path), scratch)
	db := tamperSQL(t, filepath.Join(scratch, filepath.Base(path)))
	var pageSize int
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT pageno FROM dbstat WHERE name IN ('items', 'sqlite_autoindex_items_1')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, [2]int{(n - 1) * pageSize, n * pageSize})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = db.Query(`SELECT id, svc, name, value FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var f [4][]byte
		if err := rows.Scan(&f[0], &f[1], &f[2], &f[3]); err != nil {
			t.Fatal(err)
		}
		for _, b := range f {
			if i := bytes.Index(file, b[:min(len(b), 64)]); i >= 0 {
				blobs = append(blobs, [2]int{i, i + min(len(b), 64)})
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 || len(blobs) == 0 {
		t.Fatalf("found %d pages and %d blobs of the items table", len(pages), len(blobs))
	}
	return pages, blobs
}

// tamperFlip XORs 1..8 random bytes of the file at path with non-zero
// bytes, within the given ranges if any, and says what it did.
func tamperFlip(t *testing.T, rng *rand.Rand, path string, ranges [][2]int) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 1 + rng.IntN(8)
	var at []int
	for range n {
		i := rng.IntN(len(data))
		if len(ranges) > 0 {
			r := ranges[rng.IntN(len(ranges))]
			i = r[0] + rng.IntN(min(r[1], len(data))-r[0])
		}
		data[i] ^= byte(1 + rng.IntN(255))
		at = append(at, i)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s@%v", filepath.Base(path), at)
}

// TestTamperRandomBytes flips random bytes of a closed store's files, 300
// times, and reads every item back: each read gives the item's value or an
// error, never another value (not another item's, not an overwritten or a
// deleted one), and Keys never lists a key that was not stored there.
func TestTamperRandomBytes(t *testing.T) {
	seed := helperSeed(t)
	ctx := t.Context()
	tmp := t.TempDir()
	orig := tmp + "/orig"
	items, old := tamperFill(t, orig)
	pages, blobs := tamperRanges(t, tmp+"/scratch", filepath.Join(orig, tamperDB))
	stored := map[[2]string][]string{} // (group, service) → every key ever stored there
	for _, it := range items {
		k := [2]string{it.group, it.service}
		stored[k] = append(stored[k], it.key)
	}

	tamperCopy(t, orig, tmp+"/copy")
	tamperCheckAll(t, tmp+"/copy", items)

	type outcome struct{ openFailed, readOK, readErr, keysErr int }
	var count outcome
	const rounds = 300
	for round := range rounds {
		rng := rand.New(rand.NewPCG(seed, uint64(round)))
		dir := tmp + "/copy"
		tamperCopy(t, orig, dir)
		var did []string
		db, gdb, key := filepath.Join(dir, tamperDB), filepath.Join(dir, tamperGDB), filepath.Join(dir, file.KeyFileName)
		switch mode := round % 10; {
		case mode < 4:
			did = append(did, tamperFlip(t, rng, db, nil))
		case mode < 6:
			did = append(did, tamperFlip(t, rng, db, pages))
		case mode < 8:
			did = append(did, tamperFlip(t, rng, db, blobs))
		case mode == 8:
			did = append(did, tamperFlip(t, rng, gdb, nil))
		default:
			did = append(did, tamperFlip(t, rng, key, nil))
			if rng.IntN(2) == 0 {
				did = append(did, tamperFlip(t, rng, db, nil))
			}
		}
		where := fmt.Sprintf("round %d (seed %d), flipped %v", round, seed, did)

		s, err := tamperOpen(ctx, dir)
		if err != nil {
			count.openFailed++
			continue
		}
		for _, it := range items {
			got, err := s.GetItem(ctx, it.key, it.opts())
			switch {
			case err != nil:
				count.readErr++
			case it.gone:
				t.Errorf("%s: deleted item %v read back as %.40q", where, it, got)
			case got != it.value:
				was := "another value"
				if slices.Contains(old[it.String()], got) {
					was = "its overwritten value"
				}
				t.Errorf("%s: item %v read back as %s %.40q, want %.40q", where, it, was, got, it.value)
			default:
				count.readOK++
			}
			s.HasItem(ctx, it.key, it.opts()) // may fail; must not panic
		}
		for k, all := range stored {
			keys, err := s.Keys(ctx, &securestore.Options{AccessGroup: k[0], KeychainService: k[1]})
			if err != nil {
				count.keysErr++
			}
			for _, key := range keys {
				if !slices.Contains(all, key) {
					t.Errorf("%s: Keys(group %q, service %q) lists %q, which was never stored there", where, k[0], k[1], key)
				}
			}
		}
		if err := s.Close(); err != nil {
			t.Errorf("%s: close: %v", where, err)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%d rounds: Open failed %d times; %d reads gave the value, %d an error; Keys failed %d times",
		rounds, count.openFailed, count.readOK, count.readErr, count.keysErr)
	if count.readErr == 0 || count.readOK == 0 {
		t.Errorf("no read failed, or none succeeded: the flips did not test the reads")
	}
}

// tamperCheckAll opens the store in dir and checks that it holds exactly
// items.
func tamperCheckAll(t *testing.T, dir string, items []tamperItem) {
	t.Helper()
	ctx := t.Context()
	s, err := tamperOpen(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, it := range items {
		got, err := s.GetItem(ctx, it.key, it.opts())
		if it.gone && !errors.Is(err, securestore.ErrNotFound) || !it.gone && (err != nil || got != it.value) {
			t.Fatalf("untouched store: %v = %.40q, %v", it, got, err)
		}
	}
}

// The targeted cases below alter a closed store's rows through SQLite,
// as someone with write access to the files could, and check that what
// was moved, swapped or copied is refused, never read as another item's.

// tamperRow is one row of the items table, which is keyed by (svc, id).
type tamperRow struct {
	id, svc, name, value []byte
	class                int64
}

// where is the row's key as a WHERE clause's arguments: svc, id.
func (r tamperRow) where() []any { return []any{r.svc, r.id} }

// The items of the targeted cases. Their values differ in length, which is
// how the test tells their rows apart without the store's keys.
var (
	tamperA = tamperItem{service: "svc", key: "alpha", class: securestore.WhenUnlocked, value: strings.Repeat("a", 100)}
	tamperB = tamperItem{service: "svc", key: "beta", class: securestore.WhenUnlocked, value: strings.Repeat("b", 200)}
	tamperC = tamperItem{service: "svc", key: "gamma", class: securestore.Always, value: strings.Repeat("c", 300)}
	// tamperG has tamperA's service and key, in the access group.
	tamperG = tamperItem{group: tamperGroup, service: "svc", key: "alpha", class: securestore.WhenUnlocked, value: strings.Repeat("g", 400)}
)

// tamperEdit opens the database file at path, hands fn its rows ordered by
// the length of their sealed values, and commits what fn changed.
func tamperEdit(t *testing.T, path string, fn func(tx *sql.Tx, rows []tamperRow)) {
	t.Helper()
	db := tamperSQL(t, path)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	q, err := tx.Query(`SELECT id, svc, class, name, value FROM items ORDER BY length(value)`)
	if err != nil {
		t.Fatal(err)
	}
	var rows []tamperRow
	for q.Next() {
		var r tamperRow
		if err := q.Scan(&r.id, &r.svc, &r.class, &r.name, &r.value); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	fn(tx, rows)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func tamperExec(t *testing.T, tx *sql.Tx, query string, args ...any) {
	t.Helper()
	if _, err := tx.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// tamperSetRow overwrites the row at (key.svc, key.id) with r's id,
// service tag, class, name and value.
func tamperSetRow(t *testing.T, tx *sql.Tx, key tamperRow, r tamperRow) {
	t.Helper()
	tamperExec(t, tx, `UPDATE items SET id = ?, svc = ?, class = ?, name = ?, value = ? WHERE svc = ? AND id = ?`,
		r.id, r.svc, r.class, r.name, r.value, key.svc, key.id)
}

// tamperWant is what reading one item must give after a case's tampering:
// its own value (err nil), or an error matching err.
type tamperWant struct {
	it  tamperItem
	err error
}

func TestTamperTargeted(t *testing.T) {
	ctx := t.Context()
	tmp := t.TempDir()
	orig := tmp + "/orig"
	tamperStore(t, orig, tamperA, tamperB, tamperC, tamperG)
	// Row order by value length in each database: A, B, C; and G.
	const a, b, c, g = 0, 1, 2, 0
	all := func(err error) []tamperWant {
		return []tamperWant{{tamperA, err}, {tamperB, err}, {tamperC, err}, {tamperG, err}}
	}
	swap := func(i, j int) func(*testing.T, *sql.Tx, []tamperRow) {
		return func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			x, y := rows[i], rows[j]
			x.value, y.value = rows[j].value, rows[i].value
			tamperSetRow(t, tx, rows[i], x)
			tamperSetRow(t, tx, rows[j], y)
		}
	}

	cases := []struct {
		name       string
		app, group func(t *testing.T, tx *sql.Tx, rows []tamperRow) // edits of each database
		want       []tamperWant                                     // a nil err: the item's own value
		keysErr    [2]error                                         // Keys("svc") of the app and the group
	}{{
		name: "nothing (the harness reads all)",
		want: all(nil),
	}, {
		name: "swap the values of two items of one class",
		app:  swap(a, b),
		want: []tamperWant{{tamperA, securestore.ErrCorrupt}, {tamperB, securestore.ErrCorrupt}, {tamperC, nil}, {tamperG, nil}},
	}, {
		name: "swap the values of two items of two classes",
		app:  swap(a, c),
		want: []tamperWant{{tamperA, securestore.ErrCorrupt}, {tamperB, nil}, {tamperC, securestore.ErrCorrupt}, {tamperG, nil}},
	}, {
		name: "swap the classes of two items",
		app: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			tamperExec(t, tx, `UPDATE items SET class = ? WHERE svc = ? AND id = ?`, append([]any{rows[c].class}, rows[a].where()...)...)
			tamperExec(t, tx, `UPDATE items SET class = ? WHERE svc = ? AND id = ?`, append([]any{rows[a].class}, rows[c].where()...)...)
		},
		want: []tamperWant{{tamperA, securestore.ErrCorrupt}, {tamperB, nil}, {tamperC, securestore.ErrCorrupt}, {tamperG, nil}},
	}, {
		name: "set a class that does not exist",
		app: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			tamperExec(t, tx, `UPDATE items SET class = 99 WHERE svc = ? AND id = ?`, rows[a].where()...)
		},
		want: []tamperWant{{tamperA, securestore.ErrCorrupt}, {tamperB, nil}, {tamperC, nil}, {tamperG, nil}},
	}, {
		// The class picks the key before anything is authenticated, and
		// this class has no key without a passcode; such an item cannot
		// exist without one (removing the passcode deletes them): damage.
		name: "set the passcode-only class",
		app: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			tamperExec(t, tx, `UPDATE items SET class = ? WHERE svc = ? AND id = ?`,
				append([]any{int(securestore.WhenPasscodeSetThisDeviceOnly)}, rows[a].where()...)...)
		},
		want: []tamperWant{{tamperA, securestore.ErrCorrupt}, {tamperB, nil}, {tamperC, nil}, {tamperG, nil}},
	}, {
		name: "copy one item's row over another's id",
		app: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			r := rows[a]
			r.id = rows[b].id
			tamperSetRow(t, tx, rows[b], r)
		},
		want:    []tamperWant{{tamperA, nil}, {tamperB, securestore.ErrCorrupt}, {tamperC, nil}, {tamperG, nil}},
		keysErr: [2]error{securestore.ErrCorrupt, nil},
	}, {
		name: "give one item's row another item's id",
		app: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			tamperExec(t, tx, `DELETE FROM items WHERE svc = ? AND id = ?`, rows[a].where()...)
			r := rows[b]
			r.id = rows[a].id
			tamperSetRow(t, tx, rows[b], r)
		},
		// B's row is gone and A's row is B's: A fails to authenticate, and
		// B's miss cannot be proven while a row does not authenticate.
		want:    []tamperWant{{tamperA, securestore.ErrCorrupt}, {tamperB, securestore.ErrCorrupt}, {tamperC, nil}, {tamperG, nil}},
		keysErr: [2]error{securestore.ErrCorrupt, nil},
	}, {
		name: "swap the ids of two items",
		app: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			tamperExec(t, tx, `UPDATE items SET id = x'00' WHERE svc = ? AND id = ?`, rows[a].where()...)
			tamperExec(t, tx, `UPDATE items SET id = ? WHERE svc = ? AND id = ?`, append([]any{rows[a].id}, rows[b].where()...)...)
			tamperExec(t, tx, `UPDATE items SET id = ? WHERE svc = ? AND id = x'00'`, rows[b].id, rows[a].svc)
		},
		want:    []tamperWant{{tamperA, securestore.ErrCorrupt}, {tamperB, securestore.ErrCorrupt}, {tamperC, nil}, {tamperG, nil}},
		keysErr: [2]error{securestore.ErrCorrupt, nil},
	}, {
		// The id and service tag stay, so that the row is found, by
		// GetItem and Keys: its sealed name and value must not open.
		name: "move the app's row of a key into the group's row of that key",
		group: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			r := tamperAppRow(t, orig, a)
			r.id, r.svc = rows[g].id, rows[g].svc
			tamperSetRow(t, tx, rows[g], r)
		},
		want:    []tamperWant{{tamperA, nil}, {tamperB, nil}, {tamperC, nil}, {tamperG, securestore.ErrCorrupt}},
		keysErr: [2]error{nil, securestore.ErrCorrupt},
	}, {
		name: "move the group's row of a key into the app's row of that key",
		app: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			r := tamperGroupRow(t, orig, g)
			r.id, r.svc = rows[a].id, rows[a].svc
			tamperSetRow(t, tx, rows[a], r)
		},
		want:    []tamperWant{{tamperA, securestore.ErrCorrupt}, {tamperB, nil}, {tamperC, nil}, {tamperG, nil}},
		keysErr: [2]error{securestore.ErrCorrupt, nil},
	}, {
		name: "move a row from the app's store to the group's, id and all",
		app: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			tamperExec(t, tx, `DELETE FROM items WHERE svc = ? AND id = ?`, rows[b].where()...)
		},
		group: func(t *testing.T, tx *sql.Tx, rows []tamperRow) {
			r := tamperAppRow(t, orig, b)
			tamperExec(t, tx, `INSERT INTO items (id, svc, class, name, value) VALUES (?, ?, ?, ?, ?)`, r.id, r.svc, r.class, r.name, r.value)
		},
		// Removing a whole row from the app's database is not detectable
		// there (its other rows all authenticate); the foreign row makes
		// every miss in the group's database unprovable.
		want: []tamperWant{{tamperA, nil}, {tamperB, securestore.ErrNotFound}, {tamperC, nil}, {tamperG, nil},
			{tamperItem{group: tamperGroup, service: "svc", key: "beta"}, securestore.ErrCorrupt}},
		keysErr: [2]error{nil, securestore.ErrCorrupt},
	}}

	// Each case twice: tampered while the store is closed, then opened;
	// and tampered by a foreign SQLite connection (a hostile process that
	// commits through SQLite) while the store is open and has just read
	// every item, so that its row cache (internal/storage/rowcache.go)
	// holds them all. Either way no read may return what the tampering
	// replaced.
	for _, live := range []bool{false, true} {
		for i, tc := range cases {
			name := tc.name
			if live {
				name += ", while open"
			}
			t.Run(name, func(t *testing.T) {
				dir := fmt.Sprintf("%s/case%d-%v", tmp, i, live)
				tamperCopy(t, orig, dir)
				edit := func() {
					if tc.app != nil {
						tamperEdit(t, filepath.Join(dir, tamperDB), func(tx *sql.Tx, rows []tamperRow) { tc.app(t, tx, rows) })
					}
					if tc.group != nil {
						tamperEdit(t, filepath.Join(dir, tamperGDB), func(tx *sql.Tx, rows []tamperRow) { tc.group(t, tx, rows) })
					}
				}
				if !live {
					edit()
				}
				s, err := tamperOpen(ctx, dir)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if live {
					for range 2 { // the first read of a DB starts its cache
						for _, w := range tc.want {
							s.GetItem(ctx, w.it.key, w.it.opts())
						}
					}
					edit()
				}
				tamperCheck(t, s, tc.want, tc.keysErr)
			})
		}
	}
}

// tamperCheck reads every item of want and the keys of both stores, and
// reports what differs from want and keysErr.
func tamperCheck(t *testing.T, s *securestore.Store, want []tamperWant, keysErr [2]error) {
	t.Helper()
	ctx := t.Context()
	for _, w := range want {
		got, err := s.GetItem(ctx, w.it.key, w.it.opts())
		switch {
		case w.err == nil && (err != nil || got != w.it.value):
			t.Errorf("%v = %.20q, %v; want its value %.20q", w.it, got, err, w.it.value)
		case w.err != nil && !errors.Is(err, w.err):
			t.Errorf("%v = %.20q, %v; want an error wrapping %q", w.it, got, err, w.err)
		}
	}
	for j, group := range []string{"", tamperGroup} {
		keys, err := s.Keys(ctx, &securestore.Options{AccessGroup: group, KeychainService: "svc"})
		wantKeys := []string{"alpha", "beta", "gamma"}
		if group != "" {
			wantKeys = []string{"alpha"}
		}
		switch {
		case keysErr[j] == nil && err != nil:
			t.Errorf("Keys(group %q) = %v, %v", group, keys, err)
		case keysErr[j] != nil && !errors.Is(err, keysErr[j]):
			t.Errorf("Keys(group %q) = %v, %v; want an error wrapping %q", group, keys, err, keysErr[j])
		}
		for _, k := range keys {
			if !slices.Contains(wantKeys, k) {
				t.Errorf("Keys(group %q) lists %q, never stored there", group, k)
			}
		}
	}
}

// tamperAppRow and tamperGroupRow read row i (by value length) of the
// pristine store's databases.
func tamperAppRow(t *testing.T, orig string, i int) tamperRow {
	return tamperRowOf(t, filepath.Join(orig, tamperDB), i)
}

func tamperGroupRow(t *testing.T, orig string, i int) tamperRow {
	return tamperRowOf(t, filepath.Join(orig, tamperGDB), i)
}

func tamperRowOf(t *testing.T, path string, i int) tamperRow {
	t.Helper()
	scratch := t.TempDir() + "/s"
	tamperCopy(t, filepath.Dir(path), scratch)
	var r tamperRow
	tamperEdit(t, filepath.Join(scratch, filepath.Base(path)), func(_ *sql.Tx, rows []tamperRow) { r = rows[i] })
	return r
}

// TestTamperKeysRefused alters what a store's keys hang on (the database
// file's identity, the wrapped device key, the wrapped class keys): Open
// must fail with ErrCorrupt rather than open a store with the wrong keys.
func TestTamperKeysRefused(t *testing.T) {
	tmp := t.TempDir()
	orig := tmp + "/orig"
	tamperStore(t, orig, tamperA, tamperG)
	meta := func(path, name string) []byte {
		var v []byte
		tamperEditDB(t, path, func(tx *sql.Tx) {
			if err := tx.QueryRow(`SELECT value FROM meta WHERE name = ?`, name).Scan(&v); err != nil {
				t.Fatal(err)
			}
		})
		return v
	}
	cases := []struct {
		name string
		edit func(dir string)
	}{{
		name: "the group's database in place of the app's",
		edit: func(dir string) {
			if err := os.Rename(filepath.Join(dir, tamperGDB), filepath.Join(dir, tamperDB)); err != nil {
				t.Fatal(err)
			}
		},
	}, {
		name: "the group's wrapped device key in the app's database",
		edit: func(dir string) {
			blob := meta(filepath.Join(tmp, "scratch", tamperGDB), "device_key")
			tamperEditDB(t, filepath.Join(dir, tamperDB), func(tx *sql.Tx) {
				tamperExec(t, tx, `UPDATE meta SET value = ? WHERE name = 'device_key'`, blob)
			})
		},
	}, {
		name: "two wrapped class keys swapped",
		edit: func(dir string) {
			tamperEditDB(t, filepath.Join(dir, tamperDB), func(tx *sql.Tx) {
				tamperExec(t, tx, `UPDATE class_keys SET blob = (SELECT blob FROM class_keys k WHERE k.class = 2 - class_keys.class) WHERE class IN (0, 2)`)
			})
		},
	}, {
		name: "a class key relabelled",
		edit: func(dir string) {
			tamperEditDB(t, filepath.Join(dir, tamperDB), func(tx *sql.Tx) {
				tamperExec(t, tx, `DELETE FROM class_keys WHERE class = 1`)
				tamperExec(t, tx, `UPDATE class_keys SET class = 1 WHERE class = 0`)
			})
		},
	}, {
		// Without a passcode every class but WhenPasscodeSetThisDeviceOnly
		// has a key; a store missing one is damaged, not locked.
		name: "a class key deleted",
		edit: func(dir string) {
			tamperEditDB(t, filepath.Join(dir, tamperDB), func(tx *sql.Tx) {
				tamperExec(t, tx, `DELETE FROM class_keys WHERE class = ?`, int(securestore.WhenUnlocked))
			})
		},
	}}
	tamperCopy(t, orig, tmp+"/scratch")
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := fmt.Sprintf("%s/case%d", tmp, i)
			tamperCopy(t, orig, dir)
			tc.edit(dir)
			tamperWantRefused(t, dir)
		})
	}
}

// tamperEditDB runs fn in a transaction on the database file at path.
func tamperEditDB(t *testing.T, path string, fn func(tx *sql.Tx)) {
	t.Helper()
	tamperEdit(t, path, func(tx *sql.Tx, _ []tamperRow) { fn(tx) })
}

// TestTamperHeaderRefused alters the schema version and application id in
// the database header, as flipped bytes there do (TestTamperRandomBytes
// found a negative version): Open must fail with ErrCorrupt, not panic,
// and not take the database for a new one.
func TestTamperHeaderRefused(t *testing.T) {
	tmp := t.TempDir()
	orig := tmp + "/orig"
	tamperStore(t, orig, tamperA)
	for i, pragma := range []string{
		"user_version = -822083583",
		"user_version = -1",
		"user_version = 0",
		"application_id = 1",
	} {
		t.Run(pragma, func(t *testing.T) {
			dir := fmt.Sprintf("%s/case%d", tmp, i)
			tamperCopy(t, orig, dir)
			tamperEditDB(t, filepath.Join(dir, tamperDB), func(tx *sql.Tx) { tamperExec(t, tx, "PRAGMA "+pragma) })
			tamperWantRefused(t, dir)
		})
	}
}
