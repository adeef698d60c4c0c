package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The errors of this package. Every error a DB, Tx or Repair returns wraps
// exactly one of these (or is the context's error), and none quotes a byte
// read from the database: SQLite's and database/sql's own messages can
// (a Scan error prints the value it could not convert, "no such column"
// prints a name from a damaged schema), so classify replaces them with the
// result code's fixed description.
var (
	// ErrNotFound: no row has that id.
	ErrNotFound = errors.New("no such record")
	// ErrCorrupt: SQLite found the database file malformed, a column holds
	// a value of the wrong type, or it is not a securestore database.
	ErrCorrupt = errors.New("database is corrupt")
	// ErrTooNew: the database was written by a newer securestore.
	ErrTooNew = errors.New("database format is newer than this program")
	// ErrClosed: the DB has been closed.
	ErrClosed = errors.New("database is closed")
	// ErrDiskFull: the file system holding the database has no space left
	// for a write (or for the files SQLite needs to open it).
	ErrDiskFull = errors.New("no space left on the store's file system")
	// ErrIO: the database could not be read or written for a reason that
	// is not damage: an I/O error, a lock another process held past
	// BusyTimeout, a read-only file system.
	ErrIO = errors.New("database cannot be read or written")
)

// sentinels are the errors classify passes through unchanged.
var sentinels = []error{ErrNotFound, ErrCorrupt, ErrTooNew, ErrClosed, ErrDiskFull, ErrIO,
	context.Canceled, context.DeadlineExceeded}

// classify turns any error from database/sql or SQLite about the database
// at path into one that wraps a sentinel of this package and quotes no
// stored byte. SQLite's result code stays in the message.
func classify(path string, err error) error {
	if err == nil {
		return nil
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return err
		}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return classifyCode(path, se.Code())
	}
	switch {
	case errors.Is(err, sql.ErrConnDone), err.Error() == "sql: database is closed":
		return fmt.Errorf("%w (%s)", ErrClosed, filepath.Base(path))
	case strings.HasPrefix(err.Error(), "sql: Scan error"):
		// A conversion database/sql made itself; its message quotes the
		// value. The scanners in scan.go make this unreachable for the
		// columns they read; this is the fallback.
		return fmt.Errorf("%w: %s: a column holds a value of the wrong type", ErrCorrupt, path)
	case strings.HasPrefix(err.Error(), "sql: "):
		return fmt.Errorf("%w: %s: %w", ErrIO, path, err)
	}
	var pe *fs.PathError
	var errno syscall.Errno
	if errors.As(err, &pe) || errors.As(err, &errno) {
		// Errors of the file system name a path, never content.
		return fmt.Errorf("%w: %s: %w", ErrIO, path, err)
	}
	// An error of the caller's own, returned by the function it passed to
	// View, Update or Walk: already the caller's to describe.
	return err
}

// classifyCode maps an SQLite result code onto this package's sentinels.
func classifyCode(path string, code int) error {
	desc := sqlite.ErrorCodeString[code]
	if desc == "" {
		desc = sqlite.ErrorCodeString[code&0xff]
	}
	switch code & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_FORMAT,
		sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE, sqlite3.SQLITE_CONSTRAINT:
		return fmt.Errorf("%w: %s: %s (SQLite result code %d)", ErrCorrupt, path, desc, code)
	case sqlite3.SQLITE_ERROR:
		// This package's statements are fixed and valid for its schema: a
		// statement that SQLite cannot run ("no such column") means the
		// schema in the file is not the one this package wrote.
		return fmt.Errorf("%w: %s: the schema is not securestore's: %s (SQLite result code %d)", ErrCorrupt, path, desc, code)
	case sqlite3.SQLITE_FULL:
		return diskFull(path, code)
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		// An ENOSPC surfaces as an I/O error when SQLite creates or grows
		// the -shm file, or as a failed open; tell it by the free space.
		if noSpace(filepath.Dir(path)) {
			return diskFull(path, code)
		}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %s: another connection held the database's lock for longer than %v (SQLite result code %d)",
			ErrIO, path, BusyTimeout, code)
	}
	return fmt.Errorf("%w: %s: %s (SQLite result code %d)", ErrIO, path, desc, code)
}

func diskFull(path string, code int) error {
	return fmt.Errorf("%w: the file system of %s is full; free some space there and try again (SQLite result code %d)",
		ErrDiskFull, filepath.Dir(path), code)
}
