//go:build unix

package servicetest

import (
	"fmt"
	"os"
	"syscall"
)

// flockFile takes flock(2) on path, shared or exclusive, on a descriptor
// of its own, and waits for it as long as it takes: the test binary's
// -timeout bounds the wait.
func flockFile(path string, exclusive bool) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the etcd test cluster (%s): %w", path, err)
	}
	return func() { f.Close() }, nil // closing the descriptor releases the lock
}
