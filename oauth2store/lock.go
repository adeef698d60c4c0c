package oauth2store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/securestore-go/securestore"
)

// The cross-process lock is an advisory lock on a file of its own next to
// the store: flock(2) on Unix, LockFileEx on Windows. Both belong to the
// open file, so two opens in one process exclude each other as two
// processes do, and the kernel drops the lock of a process that dies.
// Neither call takes a deadline, so lock polls the non-blocking form until
// it succeeds or ctx is done.

// lockPath is the lock file of one item: its name is a digest of the
// item's identity, so the file says nothing about what it guards.
func lockPath(dir, key string, opts *securestore.Options) string {
	var service, group string
	if opts != nil {
		service, group = opts.KeychainService, opts.AccessGroup
	}
	if service == "" {
		service = securestore.DefaultService
	}
	sum := sha256.Sum256([]byte(group + "\x00" + service + "\x00" + key))
	return filepath.Join(dir, "oauth2store-"+hex.EncodeToString(sum[:16])+".lock")
}

// lockDir is where lock files live: dir, else the directory Open uses
// for a Config with an empty Dir.
func lockDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv(securestore.EnvDir)
	}
	if dir == "" {
		var err error
		if dir, err = securestore.DefaultDir(); err != nil {
			return "", err
		}
	}
	return filepath.Abs(dir)
}

// fileLock is a held lock; unlock releases it.
type fileLock struct{ f *os.File }

// lock takes the lock at path, creating the file (0600, and its directory
// 0700) if needed, and waits for it until ctx is done.
func lock(ctx context.Context, path string) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	// Back off from 1 ms to 50 ms: a refresh holds the lock for one HTTP
	// round trip, and the waiters should notice soon after it ends.
	wait := time.Millisecond
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", filepath.Base(path), err)
		}
		if ok {
			return &fileLock{f}, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("wait for the refresh lock: %w", context.Cause(ctx))
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func (l *fileLock) unlock() error {
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
