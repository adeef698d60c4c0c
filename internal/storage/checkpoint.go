package storage

import (
	"context"
	"os"
)

// Keeping the WAL short.
//
// SQLite's own policy checkpoints when the WAL passes 1000 pages (4 MiB)
// and never shrinks the file: on a small volume the WAL alone took most
// of the space. Here the writer checkpoints whenever a commit leaves the
// -wal file over walCheckpointBytes. It does so after it has answered
// that commit's writers, so no acknowledged write waits for it; writes
// that arrive meanwhile queue and share the next commit (group commit).
// The checkpoint is PASSIVE: it copies what it can into the database file
// without waiting for readers of this or other processes, and never
// fails a write. Once the whole WAL is copied, the next commit starts the
// WAL over, and journal_size_limit (dsn) cuts the file back to
// walCheckpointBytes. Under writes that never pause, the checkpoint still
// completes, because this writer's own commits wait for it.

// walCheckpointBytes is the -wal size that triggers a checkpoint, and the
// size the file is cut back to: 64 pages of 4 KiB.
const walCheckpointBytes = 256 << 10

// maybeCheckpoint checkpoints if the WAL has grown past the limit. A
// failure (a reader holding an old snapshot, a full disk) is no write's
// error: the next commit tries again.
func (w *writer) maybeCheckpoint() {
	fi, err := os.Stat(w.path + "-wal")
	if err != nil || fi.Size() <= walCheckpointBytes {
		return
	}
	if _, err := w.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err == nil {
		w.checkpoints.Add(1)
	}
}
