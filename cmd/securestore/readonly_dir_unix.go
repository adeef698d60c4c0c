//go:build unix

package main

import (
	"errors"

	"golang.org/x/sys/unix"
)

// dirReadOnly reports whether dir exists and this process may not create
// files in it: a read-only file system (which stops root too) or modes.
func dirReadOnly(dir string) bool {
	if dir == "" {
		return false
	}
	err := unix.Access(dir, unix.W_OK)
	return errors.Is(err, unix.EROFS) || errors.Is(err, unix.EACCES)
}
