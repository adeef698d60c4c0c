//go:build !unix

package storage

// On this platform the row cache is off: SQLite's Windows VFS maps the
// wal-index through its own handles, and this package does not map it
// beside them. Every read goes through SQLite.

type shmMap struct{}

func mapShm(string) *shmMap { return nil }

func (*shmMap) header() (walHeader, bool) { return walHeader{}, false }

func (*shmMap) close() {}
