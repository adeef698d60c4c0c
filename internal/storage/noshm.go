package storage

import (
	"fmt"
	"path/filepath"
)

// Reading a store on a full disk.
//
// In WAL mode every connection maps the -shm file, the wal-index that
// connections of all processes share. A process that opens a store no
// other process has open creates it (32 KiB) and writes to it; on a full
// file system that fails (SQLITE_IOERR_SHMSIZE), and so did every read.
//
// Open then opens the database again in SQLite's exclusive locking mode,
// set before the first read: SQLite keeps the wal-index in this process's
// heap and never opens the -shm file (www.sqlite.org/wal.html, "Use of WAL
// Without Shared-Memory"). Such a DB has one connection and no writer:
// reads work, Put and Delete fail with ErrDiskFull, and while it is open
// it holds the database's lock, so other processes wait for it (up to
// BusyTimeout) as for a writer. Once space is freed, the next Open is an
// ordinary one again; nothing needs repairing.

// readOnly is the error of a write to a DB opened without a -shm file.
func (d *DB) readOnly() error {
	return fmt.Errorf("%w: the file system of %s was full when the store was opened, so it was opened read-only; "+
		"free some space there and open it again", ErrDiskFull, filepath.Dir(d.path))
}

// ReadOnly reports whether the DB was opened read-only because the disk
// was full.
func (d *DB) ReadOnly() bool { return d.noShm }
