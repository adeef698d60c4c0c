package storage

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// maxBatch bounds how many writes share one commit, so that one commit's
// latency stays bounded however many writers queue up.
const maxBatch = 1024

// op is one queued write: a put when put is non-nil, else a delete of
// (svc, id).
type op struct {
	ctx   context.Context
	put   *Item
	slot  int64
	svc   []byte
	id    []byte
	cond  *Cond // if set, the op applies only if it holds (cond.go)
	local bool  // the op applies only if the item has no sync row (cond.go)
	skip  error // why the op was left out of its batch's commit
	done  chan error
}

// writer is the single goroutine that commits a DB's item writes. Writers
// queue ops; each commit takes every op queued so far, so while one fsync
// is in flight the next batch gathers behind it: N concurrent writers pay
// for far fewer than N fsyncs (group commit).
type writer struct {
	path string // the database's, for errors
	conn *sql.Conn
	// Statements prepared once on conn. The transaction is driven with
	// BEGIN/COMMIT statements of its own rather than conn.BeginTx: a
	// statement prepared on a Conn cannot be used in a sql.Tx without
	// Tx.StmtContext preparing it again, which cost every commit two
	// prepares.
	begin, commitTx, rollback *sql.Stmt
	upsert, del, check        *sql.Stmt
	ops                       chan *op
	exited                    chan error

	// journalLimit is the connection's journal_size_limit; ckpt copies
	// the WAL into the database meanwhile (checkpoint.go).
	journalLimit int64
	ckpt         *checkpointer

	// cache is the DB's row cache, which each commit carries over
	// (rowcache.go: advance).
	cache *atomic.Pointer[rowCache]
	// testOnlyAfterCommit, if set, runs between a commit and the cache's
	// advance over it: tests commit from elsewhere there.
	testOnlyAfterCommit func()
	woke                bool // ckpt was woken since the WAL last started over

	mu     sync.RWMutex // held shared while queuing, exclusively by stop
	closed bool

	// For tests and diagnostics: ops taken off the queue into batches, and
	// transactions committed.
	taken, commits, checkpoints atomic.Int64
}

func startWriter(ctx context.Context, path string, db *sql.DB, cache *atomic.Pointer[rowCache]) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{path: path, conn: conn, ops: make(chan *op, maxBatch), exited: make(chan error, 1), journalLimit: walCheckpointBytes, cache: cache}
	// The writer waits for the write lock itself (begin), so SQLite's own
	// busy wait is off on its connection. It checkpoints itself, after
	// answering a commit's writers (checkpoint.go), so SQLite's automatic
	// checkpoint, which runs inside the COMMIT, is off too.
	for _, pragma := range []string{`PRAGMA busy_timeout = 0`, `PRAGMA wal_autocheckpoint = 0`} {
		if _, err := conn.ExecContext(ctx, pragma); err != nil {
			w.closeConn()
			return nil, err
		}
	}
	for _, s := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		// IMMEDIATE: take the write lock at BEGIN (see begin), instead
		// of failing midway.
		{&w.begin, `BEGIN IMMEDIATE`},
		{&w.commitTx, `COMMIT`},
		{&w.rollback, `ROLLBACK`},
		{&w.upsert, upsertItem},
		{&w.del, deleteItem},
		{&w.check, selectPreconditions},
	} {
		if *s.stmt, err = conn.PrepareContext(ctx, s.query); err != nil {
			w.closeConn()
			return nil, err
		}
	}
	w.ckpt = startCheckpointer(db, &w.checkpoints)
	go w.run()
	return w, nil
}

// submit queues o and waits for its commit. If ctx ends first, submit
// returns ctx's error; the write may then still commit or not, but a nil
// return always means durable.
func (w *writer) submit(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.ctx = ctx
	o.done = make(chan error, 1)
	if err := w.enqueue(o); err != nil {
		return err
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) enqueue(o *op) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.ops <- o:
		return nil
	case <-o.ctx.Done():
		return o.ctx.Err()
	}
}

func (w *writer) run() {
	batch := make([]*op, 0, maxBatch)
	for first := range w.ops {
		batch = append(batch[:0], first)
	gather:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-w.ops:
				if !ok {
					break gather
				}
				batch = append(batch, o)
			default:
				break gather
			}
		}
		w.taken.Add(int64(len(batch)))
		w.commit(batch)
	}
	err := w.ckpt.stop()
	if cerr := w.closeConn(); err == nil {
		err = cerr
	}
	w.exited <- err
}

// commit writes batch in one transaction and reports the outcome to each
// op. Ops whose caller has already given up are left out.
func (w *writer) commit(batch []*op) {
	live := batch[:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.done <- err
			continue
		}
		live = append(live, o)
	}
	if len(live) == 0 {
		return
	}
	err := w.apply(live)
	for _, o := range live {
		if err == nil && o.skip != nil {
			o.done <- o.skip
			continue
		}
		o.done <- err
	}
	if err == nil {
		w.maybeCheckpoint()
	}
}

func (w *writer) apply(batch []*op) error {
	// The commit must not be cut short by one caller's context: it carries
	// the others' writes too. begin bounds the wait for the lock.
	ctx := context.Background()
	if err := w.beginImmediate(ctx); err != nil {
		return classify(w.path, err)
	}
	c := w.cache.Load()
	var before walHeader
	var known bool
	if c != nil {
		before, known = c.header() // the write lock is held: no commit can change it now
	}
	for _, o := range batch {
		if err := w.write(ctx, o); err != nil {
			w.abort()
			return classify(w.path, err)
		}
	}
	if _, err := w.commitTx.ExecContext(ctx); err != nil {
		// A COMMIT that failed (SQLITE_BUSY, an I/O error) may leave the
		// transaction open; roll it back so that the next batch starts
		// clean and nothing of this one lingers.
		w.abort()
		return classify(w.path, err)
	}
	w.commits.Add(1)
	if w.testOnlyAfterCommit != nil {
		w.testOnlyAfterCommit()
	}
	if known {
		c.advance(before, batch)
	}
	return nil
}

// write runs o in the open transaction: one statement, which checks o's
// preconditions as it writes (items.go). When it changes no row, skipOf
// tells why: a precondition failed (o is skipped, and its caller told
// why), or, for a put, another item's row holds the slot (damage: the
// batch fails). A delete that finds nothing to delete has succeeded.
func (w *writer) write(ctx context.Context, o *op) error {
	var name, want, local any // NULL: that precondition is not asked
	if o.cond != nil {
		name, want = o.cond.Name, o.cond.Want
	}
	if o.local {
		local = o.id
	}
	var res sql.Result
	var err error
	if it := o.put; it != nil {
		res, err = w.upsert.ExecContext(ctx, o.slot, it.ID, it.Svc, it.Class, it.Name, it.Value, name, want, local)
	} else {
		res, err = w.del.ExecContext(ctx, o.slot, o.id, o.svc, name, want, local)
	}
	n, err := rowsAffected(res, err)
	if err != nil || n > 0 || (o.cond == nil && !o.local && o.put == nil) {
		return err
	}
	skip, err := w.skipOf(ctx, o)
	switch {
	case err != nil:
		return err
	case skip != nil:
		o.skip = skip // advance (rowcache.go) leaves it out too
		return nil
	case o.put != nil:
		return slotTaken(w.path)
	}
	return nil
}

// beginImmediate takes the database's write lock, waiting up to
// BusyTimeout while another process holds it. It polls every few hundred
// microseconds instead of using SQLite's busy handler, whose waits grow to
// 100 ms: a process that commits back to back releases the lock for only
// microseconds between its commits, so a second process sleeping 100 ms at
// a time almost never found it free and waited seconds for one write.
// Short polls find the gap within a few milliseconds.
func (w *writer) beginImmediate(ctx context.Context) error {
	deadline := time.Now().Add(BusyTimeout)
	for {
		_, err := w.begin.ExecContext(ctx)
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100*time.Microsecond + time.Duration(rand.Int64N(int64(400*time.Microsecond))))
	}
}

// abort rolls back the open transaction. Its error is not reported: the
// caller reports the error that made it abort, and SQLite may already have
// rolled back on its own (then ROLLBACK fails with "no transaction is
// active", which is the state wanted).
func (w *writer) abort() {
	w.rollback.ExecContext(context.Background())
}

// stop lets queued ops commit, then ends the goroutine.
// A second stop returns nil.
func (w *writer) stop() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.ops)
	w.mu.Unlock()
	return <-w.exited
}

func (w *writer) closeConn() error {
	for _, s := range []*sql.Stmt{w.begin, w.commitTx, w.rollback, w.upsert, w.del, w.check} {
		if s != nil {
			s.Close()
		}
	}
	return w.conn.Close()
}
