//go:build !unix

package storage

// noSpace reports whether the file system holding dir is full. Without a
// portable statfs here, only SQLITE_FULL is taken for a full disk.
func noSpace(string) bool { return false }

// freeSpace is not known here: the WAL then keeps the smallest limit
// (checkpoint.go).
func freeSpace(string) (uint64, bool) { return 0, false }
