package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	"modernc.org/sqlite"
)

// Reading items.
//
// Get, the path of every GetItem and HasItem, does not go through
// database/sql's pool. It takes a reader: a connection this package opens
// through the driver itself, with the item SELECT prepared once and kept,
// opened query_only so that it can never write. That saves database/sql's
// per-query bookkeeping (a lock, a Rows, a copy of each blob) on a path
// that is otherwise one b-tree search.
//
// A miss goes on to the proof connection (proof.go), one more reader that
// proves misses and keeps the proof while the database does not change.
//
// The full-disk fallback (noshm.go) has one connection in all, holding the
// wal-index in its memory: no reader can open beside it, and Get uses
// database/sql's pool as before.

// readers is a fixed set of reader connections, opened on first use.
type readers struct {
	path   string
	dsn    string
	idle   chan *reader // every reader not in use; closed by close
	closed atomic.Bool
}

// reader is one read-only connection and the statement it keeps.
type reader struct {
	conn driver.Conn
	get  driver.StmtQueryContext // selectItem
	args []driver.NamedValue
	dest []driver.Value
}

// readerCount is how many reads can run at once: one per CPU the runtime
// uses, at least two. Each reader has a page cache of its own.
func readerCount() int { return max(2, runtime.GOMAXPROCS(0)) }

func newReaders(path string) *readers {
	n := readerCount()
	rs := &readers{path: path, dsn: readerDSN(path), idle: make(chan *reader, n)}
	for range n {
		rs.idle <- &reader{} // opened by acquire
	}
	return rs
}

// readerDSN is the SQLite URI of a reader connection: query_only, so
// that nothing on it can write (proof.go relies on that), and the checks
// of dsn that concern reading.
func readerDSN(path string) string {
	p := filepath.ToSlash(path)
	if runtime.GOOS == "windows" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "trusted_schema(0)")
	q.Add("_pragma", "cell_size_check(1)")
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// acquire takes an idle reader, opening it if it is new, or waits for
// one. It fails with ErrClosed once the readers are closed.
func (rs *readers) acquire(ctx context.Context) (*reader, error) {
	var r *reader
	select {
	case r = <-rs.idle:
	default:
		select {
		case r = <-rs.idle:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if r == nil || rs.closed.Load() {
		if r != nil {
			rs.idle <- r // for close, which waits for every reader
		}
		return nil, fmt.Errorf("%w (%s)", ErrClosed, filepath.Base(rs.path))
	}
	if r.conn == nil {
		if err := r.open(rs.dsn); err != nil {
			rs.idle <- r
			return nil, classify(rs.path, err)
		}
	}
	return r, nil
}

func (rs *readers) release(r *reader) { rs.idle <- r }

// close waits for every reader to be released, closes them, and makes
// acquire fail from then on.
func (rs *readers) close() {
	if rs.closed.Swap(true) {
		return
	}
	for range cap(rs.idle) {
		(<-rs.idle).close()
	}
	close(rs.idle)
}

// get reads the row in slot with r's kept statement.
func (rs *readers) get(ctx context.Context, svc, id []byte, slot int64) (class uint8, value []byte, err error) {
	r, err := rs.acquire(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer rs.release(r)
	return r.getSlot(ctx, rs.path, svc, id, slot)
}

func (r *reader) open(dsn string) error {
	c, err := (&sqlite.Driver{}).Open(dsn)
	if err != nil {
		return err
	}
	s, err := c.Prepare(selectItem)
	if err != nil {
		c.Close()
		return err
	}
	q, ok := s.(driver.StmtQueryContext)
	if !ok {
		s.Close()
		c.Close()
		return errors.New("storage: the SQLite driver's statements do not take a context")
	}
	r.conn, r.get = c, q
	r.args = []driver.NamedValue{{Ordinal: 1}}
	r.dest = make([]driver.Value, 4)
	return nil
}

func (r *reader) close() {
	if r.conn == nil {
		return
	}
	r.get.(driver.Stmt).Close()
	r.conn.Close()
	r.conn, r.get = nil, nil
}

// getSlot runs selectItem for slot and checks that the row it finds is
// the item (svc, id), as getItem does for database/sql's rows.
func (r *reader) getSlot(ctx context.Context, path string, svc, id []byte, slot int64) (class uint8, value []byte, err error) {
	r.args[0].Value = slot
	rows, err := r.get.QueryContext(ctx, r.args)
	if err != nil {
		return 0, nil, classify(path, err)
	}
	err = rows.Next(r.dest)
	cerr := rows.Close()
	if errors.Is(err, io.EOF) {
		err = cerr
		if err == nil {
			return 0, nil, ErrNotFound
		}
	}
	if err == nil {
		err = cerr
	}
	if err != nil {
		return 0, nil, classify(path, err)
	}
	defer clear(r.dest)
	var gotID, gotSvc []byte
	// The driver hands out blobs as fresh copies: the value is kept as it
	// comes, without the copy blobCol makes.
	if err = (blobRef{"id", &gotID}).Scan(r.dest[0]); err == nil {
		if err = (blobRef{"svc", &gotSvc}).Scan(r.dest[1]); err == nil {
			if err = (byteCol{"class", &class}).Scan(r.dest[2]); err == nil {
				err = (blobRef{"value", &value}).Scan(r.dest[3])
			}
		}
	}
	if err != nil {
		return 0, nil, err
	}
	if string(gotID) != string(id) || string(gotSvc) != string(svc) {
		return 0, nil, fmt.Errorf("%w: %s: the row in the item's slot is not the item's", ErrCorrupt, path)
	}
	return class, value, nil
}
