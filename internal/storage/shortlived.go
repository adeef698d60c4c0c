package storage

import "sync/atomic"

// Short-lived processes.
//
// A long-running program reads through kept reader connections, a proof
// connection for misses and a row cache (reader.go, proof.go,
// rowcache.go): each costs something once, when it is set up, and saves on
// every read after. A process that opens a store, reads one item and
// exits (a command-line tool's "get") pays that set-up and never earns it
// back: a second SQLite connection (open, pragmas, schema parse) for the
// reader, and an open, fstat and mmap of the -shm file for the row cache.
// In such a process every read goes through database/sql's pool instead,
// on the connection that Open's schema check has already opened: the path
// the full-disk fallback (noshm.go) takes, so it is tested by the same
// tests of Get, GetProven and the proof of a miss.

var shortLived atomic.Bool

// SetShortLived tells every later Open in this process that the process
// is short-lived: it reads a few items and exits, so Get and GetProven use
// the connection that Open opened, without reader connections or a row
// cache. It is for command-line tools; a program that keeps a store open
// and reads it often should not call it.
func SetShortLived() { shortLived.Store(true) }
