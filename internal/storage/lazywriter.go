package storage

import (
	"context"
	"fmt"
	"path/filepath"
)

// The writer starts with the first write, not with Open.
//
// Most processes that open a store only read it: `securestore get` opens,
// reads one item and exits. Starting the writer costs a connection of its
// own (SQLite opens the file and parses the schema again), five prepared
// statements and a goroutine; for a short-lived reader that was a third of
// Open. A DB that never writes now never pays it.

// startedWriter returns the DB's writer, starting it if this is the DB's
// first write. It fails with ErrClosed after Close, and with the full-disk
// error in the read-only fallback (noshm.go).
func (d *DB) startedWriter(ctx context.Context) (*writer, error) {
	if w := d.writer.Load(); w != nil {
		return w, nil
	}
	d.writerMu.Lock()
	defer d.writerMu.Unlock()
	switch {
	case d.writer.Load() != nil:
		return d.writer.Load(), nil
	case d.closed:
		return nil, fmt.Errorf("%w (%s)", ErrClosed, filepath.Base(d.path))
	case d.noShm:
		return nil, d.readOnly()
	}
	w, err := startWriter(ctx, d.path, d.sql, &d.cache)
	if err != nil {
		return nil, classify(d.path, err)
	}
	d.writer.Store(w)
	return w, nil
}

// stopWriter stops the writer, if one started, once its queued writes have
// committed, and keeps another from starting.
func (d *DB) stopWriter() error {
	d.writerMu.Lock()
	defer d.writerMu.Unlock()
	d.closed = true
	if w := d.writer.Load(); w != nil {
		return w.stop()
	}
	return nil
}
