// Package storage keeps a store's sealed records in one SQLite database,
// through the pure-Go modernc.org/sqlite driver (no cgo, so every
// GOOS/GOARCH cross-compiles).
//
// The database runs in WAL mode with synchronous=FULL: a transaction that
// has committed has reached the disk, so a crash or kill -9 of any process
// loses nothing acknowledged. Writes from many goroutines are batched into
// shared commits by one writer goroutine (group commit, writer.go); reads go
// straight to a small pool of connections and never wait for a writer.
//
// This package sees only ciphertext and keyed MACs: it never holds a key, a
// name or a value in clear.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/securestore-go/securestore/internal/wait"
)

// BusyTimeout is how long a statement waits for a lock that another
// connection or process holds before it fails: the deadline of every
// database call that could otherwise block on another process.
const BusyTimeout = 10 * time.Second

// DB is one store's database.
type DB struct {
	path   string
	sql    *sql.DB
	get    *sql.Stmt              // selectItem, for the full-disk fallback
	writer atomic.Pointer[writer] // started by the first write (lazywriter.go)
	// readers and proof serve Get and GetProven (reader.go, proof.go);
	// nil in the full-disk fallback, which reads through sql.
	readers *readers
	proof   *missProof
	// cache keeps rows read while the database does not change
	// (rowcache.go); set up by the first read that succeeds.
	cache        atomic.Pointer[rowCache]
	cacheStarted atomic.Bool
	rec          *openFile // file, kept after Close for startCache
	cacheOff     bool      // under rec.mu: Close has run, no cache starts
	file         *openFile // this process's record of path
	noShm        bool      // opened read-only without a -shm file (noshm.go)

	writerMu sync.Mutex // held while starting or stopping the writer
	closed   bool       // under writerMu: Close has run, no writer starts
}

// Open opens (creating if needed) the database at path and brings its
// schema up to date. The caller has created the file with private
// permissions; SQLite gives the -wal and -shm files the same mode.
func Open(ctx context.Context, path string) (*DB, error) {
	file := fileState(path)
	file.mu.Lock()
	defer file.mu.Unlock()
	d, err := open(ctx, path, file.refs == 0, false)
	if errors.Is(classify(path, err), ErrDiskFull) {
		// No space for the -shm file (or the -wal): open read-only with
		// the wal-index in this process's memory (noshm.go).
		d, err = open(ctx, path, file.refs == 0, true)
	}
	if err != nil {
		return nil, classify(path, err)
	}
	file.refs++
	d.file, d.rec = file, file
	return d, nil
}

// open opens the database; first: no other DB of this process has it open,
// so its WAL is checked before SQLite may replay it (walguard.go); noShm:
// the read-only fallback of a full disk (noshm.go).
func open(ctx context.Context, path string, first, noShm bool) (*DB, error) {
	if err := checkEmptied(path); err != nil {
		return nil, err
	}
	if first {
		lock, err := guardWAL(ctx, path)
		if err != nil {
			return nil, err
		}
		// Held until migrate's first read has built the wal-index.
		defer lock.release()
	}
	db, err := sql.Open("sqlite", dsn(path, noShm))
	if err != nil {
		return nil, err
	}
	// Each connection carries its own page cache; a few are plenty for
	// readers, and the writer keeps one of its own. Without a -shm file
	// there is one connection, which holds the wal-index (noshm.go).
	conns := 8
	if noShm {
		conns = 1
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	d := &DB{path: path, sql: db, noShm: noShm}
	if err := retryBusy(ctx, func() error { return d.migrate(ctx) }); err != nil {
		db.Close()
		return nil, classify(path, err)
	}
	if err := d.prepare(ctx); err != nil {
		db.Close()
		return nil, classify(path, err)
	}
	// No writer yet: the first write starts it (lazywriter.go); in the
	// full-disk fallback none ever does, and writes report the full disk.
	// A short-lived process reads through the pool, and nothing it reads
	// goes through the row cache, so none starts (shortlived.go).
	switch {
	case shortLived.Load():
		d.cacheStarted.Store(true)
	case !noShm:
		d.readers, d.proof = newReaders(path), newMissProof(path)
	}
	return d, nil
}

// dsn builds the SQLite URI for path with the settings every connection
// needs. The path is escaped so that '?', '#' and '%' in directory names
// cannot be read as URI syntax.
func dsn(path string, noShm bool) string {
	p := filepath.ToSlash(path)
	if runtime.GOOS == "windows" && !strings.HasPrefix(p, "/") {
		p = "/" + p // file:///C:/dir/app.db
	}
	q := url.Values{}
	if noShm {
		// Before anything reads the database: SQLite then keeps the
		// wal-index in heap memory and never opens the -shm file.
		q.Add("_pragma", "locking_mode(EXCLUSIVE)")
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	if !noShm {
		// Not in the full-disk fallback: on a database already in WAL mode
		// the pragma changes nothing, but with exclusive locking it makes
		// SQLite map the -shm file after all. A database SQLite finds in
		// WAL mode by its header is opened in WAL mode anyway.
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Add("_pragma", "synchronous(FULL)")
	// On macOS a plain fsync does not reach the platter; F_FULLFSYNC does.
	// Elsewhere these two are no-ops.
	q.Add("_pragma", "fullfsync(1)")
	q.Add("_pragma", "checkpoint_fullfsync(1)")
	q.Add("_pragma", "trusted_schema(0)")
	q.Add("_pragma", "cell_size_check(1)")
	// Freed pages and deleted cells are zeroed: a deleted item's
	// ciphertext does not linger in the file, and a damaged child pointer
	// cannot bring back a freed b-tree page as if it were live (a zeroed
	// page is not a b-tree page: SQLITE_CORRUPT).
	q.Add("_pragma", "secure_delete(1)")
	// Keep the WAL short (checkpoint.go): once checkpointed, SQLite cuts
	// the file back to this size when it starts it over.
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walCheckpointBytes))
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

func (d *DB) prepare(ctx context.Context) error {
	var err error
	if d.get, err = d.sql.PrepareContext(ctx, selectItem); err != nil {
		return err
	}
	return nil
}

func (d *DB) closeStmts() {
	for _, s := range []*sql.Stmt{d.get} {
		if s != nil {
			s.Close()
		}
	}
}

// Path is the database file's path.
func (d *DB) Path() string { return d.path }

// Close waits for queued writes to commit, then closes the database. Puts
// and Deletes after Close fail with ErrClosed.
func (d *DB) Close() error {
	werr := d.stopWriter()
	d.stopCache()
	if d.readers != nil {
		d.readers.close()
		d.proof.close()
	}
	d.closeStmts()
	if d.file != nil {
		d.file.mu.Lock()
		defer d.file.mu.Unlock()
		if d.file.refs > 0 {
			d.file.refs--
		}
		if d.file.refs == 0 && d.file.shm != nil {
			// After this DB's connections: the last of this process's.
			defer d.file.shm.close()
			d.file.shm = nil
		}
		d.file = nil
	}
	if err := d.sql.Close(); err != nil {
		return err
	}
	return werr
}

// startCache sets up the row cache, once. The caller has just read
// through a reader, so SQLite has mapped the -shm file and built its
// header. The mapping belongs to the process's record of the path and is
// shared by every DB on it (walindex_unix.go says why).
func (d *DB) startCache() {
	if d.rec == nil || d.cacheStarted.Swap(true) {
		return
	}
	d.rec.mu.Lock()
	defer d.rec.mu.Unlock()
	if d.cacheOff {
		return
	}
	if d.rec.shm == nil {
		d.rec.shm = mapShm(d.path)
	}
	d.cache.Store(newRowCache(d.rec.shm))
}

// stopCache empties the row cache for good, before Close unmaps anything.
func (d *DB) stopCache() {
	if d.rec == nil {
		return
	}
	d.rec.mu.Lock()
	defer d.rec.mu.Unlock()
	d.cacheOff = true
	if c := d.cache.Load(); c != nil {
		c.close()
	}
}

// retryBusy runs setup again while it fails with SQLITE_BUSY, for up to
// BusyTimeout. SQLite's busy timeout makes a statement wait for a lock,
// but not when waiting could deadlock: when several connections open a
// new database at once, converting it to WAL mode (which the first
// connection of each does) can make one of them fail at once with
// SQLITE_BUSY instead. Starting over a moment later, when the other has
// finished, succeeds.
func retryBusy(ctx context.Context, setup func() error) error {
	deadline := time.Now().Add(BusyTimeout)
	pause := time.Millisecond
	for {
		err := setup()
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		if wait.For(ctx, pause+time.Duration(rand.Int64N(int64(pause)))) != nil {
			return err
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// checkEmptied refuses a database file that is empty while its -wal file
// is not and no other process has the database open: SQLite writes a WAL
// only for a database it has created, so the file was emptied (truncated
// by damage), and opening it would make a new, empty store over the old
// one's log. An empty file without a WAL is a store being created; so is
// an empty file with a WAL while another process has it open: that
// process is creating it right now (it writes the WAL's header, then its
// frames, before page 1 reaches the file), and its wal-index, not the
// file, is what this process's SQLite will read.
func checkEmptied(path string) error {
	db, err := os.Stat(path)
	if err != nil || db.Size() > 0 {
		return nil // a missing file is SQLite's to report
	}
	wal, err := os.Stat(path + "-wal")
	if err != nil || wal.Size() == 0 {
		return nil
	}
	if others, err := othersHaveOpen(path); err == nil && others {
		return nil
	}
	return fmt.Errorf("%w: %s is empty but its write-ahead log holds %d bytes: the database file was truncated", ErrCorrupt, path, wal.Size())
}
