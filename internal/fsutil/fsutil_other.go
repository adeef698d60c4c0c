//go:build !unix

package fsutil

import "io/fs"

// On Windows a file's readers are set by its ACL, which a file created under
// the user's profile inherits from it; mode bits say nothing, so there is
// nothing to check here.
func checkPrivate(string, fs.FileInfo) error { return nil }

// SyncDir is a no-op where directories cannot be opened for syncing; NTFS
// journals directory entries itself.
func SyncDir(string) error { return nil }

func isChmodUnsupported(error) bool { return true }
