//go:build !unix && !windows

package oauth2store

import (
	"errors"
	"os"
)

// Platforms without flock or LockFileEx get no cross-process lock: a
// refresh there fails rather than risk two processes spending one
// single-use refresh token.
func tryLock(*os.File) (bool, error) {
	return false, errors.New("oauth2store: no file locking on this platform")
}

func unlockFile(*os.File) error { return nil }
