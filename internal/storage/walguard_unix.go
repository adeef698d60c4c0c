//go:build unix

package storage

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/securestore-go/securestore/internal/wait"
)

// shmDMSOffset is the byte of the -shm file that SQLite's unix VFS locks
// shared for as long as a connection has the wal-index mapped, and tries
// to lock exclusively to learn whether it is the first (unixLockSharedMemory:
// UNIX_SHM_DMS = (22+SQLITE_SHM_NLOCK)*4 + SQLITE_SHM_NLOCK, with 8 locks).
const shmDMSOffset = 128

// othersHaveOpen reports whether another process holds SQLite's DMS lock
// on path's -shm file, that is, has the database open in WAL mode. The
// caller makes sure this process has no connection to path: closing the
// descriptor opened here would drop this process's own POSIX locks on the
// -shm.
func othersHaveOpen(path string) (bool, error) {
	f, err := os.OpenFile(path+"-shm", os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: shmDMSOffset, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, err
	}
	return lk.Type != syscall.F_UNLCK, nil
}

// flockExclusive takes an exclusive flock on f, polling so that the wait
// has a deadline (BusyTimeout) and ends with ctx.
func flockExclusive(ctx context.Context, f *os.File) error {
	deadline := time.Now().Add(BusyTimeout)
	pause := 100 * time.Microsecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return err
		}
		if err := wait.For(ctx, pause); err != nil {
			return err
		}
		pause = min(2*pause, 10*time.Millisecond)
	}
}
