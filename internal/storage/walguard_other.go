//go:build !unix

package storage

import (
	"context"
	"os"
)

// This platform has no way here to ask whether another process has the
// database open (SQLite's Windows VFS locks with LockFileEx, which this
// package does not probe yet). Open then leaves the WAL to SQLite, as
// before; Repair refuses rather than race another process.

func othersHaveOpen(string) (bool, error) { return false, errNoProbe }

func flockExclusive(context.Context, *os.File) error { return nil }
