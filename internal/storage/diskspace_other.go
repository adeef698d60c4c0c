//go:build !unix

package storage

// noSpace reports whether the file system holding dir is full. Without a
// portable statfs here, only SQLITE_FULL is taken for a full disk.
func noSpace(string) bool { return false }
