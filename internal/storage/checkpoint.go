package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Keeping the WAL short.
//
// SQLite's own policy checkpoints when the WAL passes 1000 pages (4 MiB),
// from inside the COMMIT that crossed it, so one writer's acknowledgement
// waits for a whole checkpoint. Here SQLite's automatic checkpoint is off
// on the writer's connection and the writer decides, after it has
// answered each commit's writers, so that no acknowledged write waits for
// a checkpoint:
//
//   - When a commit leaves the -wal file over the limit (walLimit), the
//     writer wakes its checkpointer: a goroutine with a connection of its
//     own that runs a PASSIVE checkpoint while the writer goes on
//     committing. PASSIVE copies what it can into the database file
//     without waiting for readers of this or any process, and never fails
//     a write.
//   - SQLite starts the WAL over from its first frame only at a commit
//     that finds every frame copied. Under writes that never pause, the
//     frames committed while the checkpointer copied are left over each
//     time, and the file would grow without end. So when the WAL passes
//     twice the limit, the writer checkpoints itself before it takes the
//     next batch: with no commit in between, that checkpoint copies every
//     frame, and the next commit starts the WAL over. It copies only what
//     the checkpointer left, so writers that queue meanwhile wait for far
//     less than a whole checkpoint (and share the next commit). If the
//     checkpointer is still copying then, the writer waits for it first.
//   - On a nearly full volume (the limit at its floor, below) the writer
//     checkpoints at the limit itself, as before there was a
//     checkpointer: there is no room for the WAL to grow meanwhile.
//
// The limit is a trade between two costs, both measured (docs/BENCHMARKS.md,
// "Writes: group commit and the checkpoint (issue 16)"):
//
//   - Every checkpoint costs two fsyncs (the WAL's, then the database's)
//     and copies every page the WAL holds. At 256 KiB (64 pages) a
//     checkpoint followed almost every second commit of 64 writers: more
//     fsyncs than the commits themselves, and the pages that every commit
//     of new items touches (the b-tree's interior pages) were copied again
//     each time.
//   - On a small volume the WAL takes space that items need: on a 2 MiB
//     volume the store must still fill up with items, not with log.
//
// So the limit follows the free space: a sixteenth of what the volume has
// free, between walMinBytes and walMaxBytes. The writer connection's
// journal_size_limit is kept at the same size: when the WAL starts over,
// SQLite cuts the file back to it, and below it the file keeps its blocks,
// so that commits overwrite blocks the WAL already has instead of
// appending (an fsync after an append must also commit the file's new
// size and blocks).
const (
	// walMinBytes is the smallest limit, for a nearly full volume or where
	// the free space is not known: 64 pages of 4 KiB.
	walMinBytes = 256 << 10
	// walMaxBytes is the largest: 2,048 pages. At 512 pages (2 MiB, under
	// SQLite's own automatic checkpoint at 1,000) 64 writers reached
	// twice the limit about every 500 writes, and the writer spent a
	// fifth of its CPU copying the rest of the WAL between batches; at 8
	// MiB overwrites of the same pages coalesce in the log, the writer
	// copies a quarter as often, and 64 writers commit 25% more per
	// second (16 MiB gained nothing more; docs/BENCHMARKS.md). The
	// writer's connection has SQLite's automatic checkpoint off; the
	// other connections commit rarely (Update), and one of them that
	// finds the WAL over 1,000 pages checkpoints inside its own commit.
	walMaxBytes = 8 << 20
	// walFreeShare: the limit is at most the free space divided by this.
	walFreeShare = 16
)

// walCheckpointBytes is the WAL size that the connections other than the
// writer's cut the file back to (journal_size_limit in dsn); they write
// rarely (Update, Begin).
const walCheckpointBytes = walMinBytes

// walLimitFor is the checkpoint limit for a volume with free bytes free;
// known is false when the free space could not be read.
func walLimitFor(free uint64, known bool) int64 {
	if !known {
		return walMinBytes
	}
	return min(max(int64(free/walFreeShare), walMinBytes), walMaxBytes)
}

// checkpointer runs PASSIVE checkpoints on a connection of its own, one
// at a time, whenever the writer wakes it. The connection is opened at the
// first wake-up: a process that opens a store to read, or to write a few
// items, never pays for it.
type checkpointer struct {
	db     *sql.DB
	conn   *sql.Conn     // nil until the first checkpoint
	wake   chan struct{} // capacity 1: a wake-up while one runs is kept
	exited chan struct{}
	mu     sync.Mutex // held while a checkpoint, this one's or the writer's, runs
	done   *atomic.Int64
}

func startCheckpointer(db *sql.DB, done *atomic.Int64) *checkpointer {
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), exited: make(chan struct{}), done: done}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.exited)
	for range c.wake {
		c.mu.Lock()
		if c.checkpoint() == nil {
			c.done.Add(1)
		}
		c.mu.Unlock()
	}
}

func (c *checkpointer) checkpoint() error {
	ctx := context.Background()
	if c.conn == nil {
		conn, err := c.db.Conn(ctx)
		if err != nil {
			return err
		}
		c.conn = conn
	}
	_, err := c.conn.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}

// start wakes the checkpointer unless it is already awake.
func (c *checkpointer) start() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// stop ends the goroutine after the checkpoint under way, and closes its
// connection.
func (c *checkpointer) stop() error {
	close(c.wake)
	<-c.exited
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// maybeCheckpoint keeps the WAL short, after a commit. A failed checkpoint
// (a reader holding an old snapshot, a full disk) is no write's error: the
// next commit tries again.
func (w *writer) maybeCheckpoint() {
	fi, err := os.Stat(w.path + "-wal")
	if err != nil || fi.Size() <= walMinBytes {
		w.woke = false
		return
	}
	limit := walLimitFor(freeSpace(filepath.Dir(w.path)))
	w.setJournalLimit(limit)
	switch {
	case fi.Size() <= limit:
		// The WAL has started over since the checkpointer last ran: the
		// file, cut back to the limit then, grows past it again only
		// once the frames written since fill it.
		w.woke = false
	case limit <= walMinBytes || fi.Size() > 2*limit:
		// A nearly full volume (or one whose free space is unknown)
		// has no room for the WAL to grow while the checkpointer
		// copies: the writer checkpoints at the limit itself, as it
		// did before there was a checkpointer. Elsewhere it does so at
		// twice the limit, after the checkpoint under way, if any, so
		// that the WAL stays bounded however slow the checkpointer.
		w.ckpt.mu.Lock()
		_, err := w.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		w.ckpt.mu.Unlock()
		if err == nil {
			w.checkpoints.Add(1)
		}
	case !w.woke:
		// Once per start of the WAL: a second run while the writer goes
		// on committing would only copy a few frames for two fsyncs,
		// and still leave the last frames uncopied.
		w.ckpt.start()
		w.woke = true
	}
}

// setJournalLimit sets the writer connection's journal_size_limit to
// limit, if it holds another.
func (w *writer) setJournalLimit(limit int64) {
	if limit == w.journalLimit {
		return
	}
	if _, err := w.conn.ExecContext(context.Background(), fmt.Sprintf(`PRAGMA journal_size_limit = %d`, limit)); err == nil {
		w.journalLimit = limit
	}
}
