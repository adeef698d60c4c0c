//go:build !windows

package fsutil

// Only Windows refuses to open a file that is being deleted under another
// name.
func isSharingViolation(error) bool { return false }
