package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/securestore-go/securestore/internal/walcheck"
)

// Checking the WAL before SQLite replays it.
//
// SQLite replays the -wal file (rebuilds its wal-index from it) when a
// connection finds no valid wal-index in the -shm file: in practice when
// this connection's process is the first to open the database since every
// other closed it or died, because SQLite's unix VFS resets the -shm when
// it is the first to take the shared "DMS" lock on it. Replaying stops at
// the first frame whose checksum fails, which silently rolls back every
// later commit (package walcheck explains why and how damage is proven).
//
// So Open checks the -wal with walcheck exactly in that situation, and
// refuses proven damage with a *WALDamageError, before SQLite has read or
// changed anything: a refused WAL is left as it is, for Repair or for a
// person to look at.
//
// The check must see the WAL as SQLite will replay it, so no other
// process may be changing it meanwhile. The design:
//
//   - Within this process, openFiles counts the DBs open on each path, and
//     a per-path mutex serialises their Open and Close. A path this process
//     already has open was checked when it was first opened, and is not
//     probed again (probing opens and closes the -shm, and closing any
//     descriptor of a file drops every POSIX lock the process holds on it,
//     SQLite's included).
//   - Across processes, Open holds an exclusive flock on the -wal file from
//     before the check until its first read has made SQLite build the
//     wal-index. Another securestore process that opens the store meanwhile
//     waits on that flock, then finds this process holding the -shm and
//     skips the check. (flock is independent of the POSIX fcntl locks
//     SQLite takes; and SQLite never locks the -wal, so closing the
//     descriptor drops nothing of SQLite's.)
//   - Whether any other process has the database open is asked the way
//     SQLite asks it: is the -shm's DMS byte locked by someone (F_GETLK)?
//     If so, that process's SQLite accepted the WAL already and keeps the
//     wal-index current; replaying is not ours to do, and the WAL is being
//     appended to, so it is not checked.
//
// What this does not cover: a program other than securestore (the sqlite3
// shell) writing the database during the moment of the check ignores the
// flock; and on platforms without flock and fcntl (Windows) the check is
// not made (walguard_other.go).

// WALDamageError reports a -wal file that is provably damaged: replaying
// it as SQLite would drops transactions that had committed. It wraps
// ErrCorrupt. The files are left unchanged; Repair keeps what is provably
// good.
type WALDamageError struct {
	Path   string // the -wal file
	Report walcheck.Report
}

func (e *WALDamageError) Error() string {
	r := e.Report
	if !r.HeaderValid {
		return fmt.Sprintf("%s: the WAL header is damaged, and %d committed transactions after it would be dropped; "+
			"the files are left unchanged (repair keeps the database without them)", e.Path, r.LostCommits)
	}
	return fmt.Sprintf("%s: frame %d of %d is damaged, and at least %d committed transactions after it would be dropped; "+
		"the files are left unchanged (repair keeps the %d transactions before it)", e.Path, r.FirstBad+1, r.Frames, r.LostCommits, r.Commits)
}

func (e *WALDamageError) Unwrap() error { return ErrCorrupt }

// openFile is this process's record of one database path.
type openFile struct {
	mu   sync.Mutex // held across Open's check and first read, and Close
	refs int        // DBs open on the path
	shm  *shmMap    // the -shm header's mapping, while refs > 0 (rowcache.go)
}

var (
	openFilesMu sync.Mutex
	openFiles   = map[string]*openFile{}
)

// fileState returns the record of path (made absolute, so that two
// spellings of one path share it).
func fileState(path string) *openFile {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	openFilesMu.Lock()
	defer openFilesMu.Unlock()
	f := openFiles[path]
	if f == nil {
		f = &openFile{}
		openFiles[path] = f
	}
	return f
}

// errNoProbe: this platform cannot ask whether another process has the
// database open (walguard_other.go).
var errNoProbe = errors.New("checking the WAL is not supported on this platform")

// errInUse: Repair found another process (or DB) using the database.
var errInUse = fmt.Errorf("%w: the database is open in another process; close it there first", ErrIO)

// walLock is an exclusive flock on a -wal file and the descriptor that
// holds it; nil when there is no WAL to protect.
type walLock struct{ f *os.File }

// lockWAL opens path's -wal file and takes an exclusive flock on it,
// waiting up to BusyTimeout for another securestore process that holds
// it. No -wal file, or an empty one, is (nil, nil): nothing to replay.
func lockWAL(ctx context.Context, path string) (*walLock, error) {
	f, err := os.OpenFile(path+"-wal", os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.Size() == 0 {
		f.Close()
		return nil, err
	}
	if err := flockExclusive(ctx, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return &walLock{f: f}, nil
}

// release drops the flock (closing the descriptor does).
func (l *walLock) release() {
	if l != nil {
		l.f.Close()
	}
}

// read returns the -wal file's content.
func (l *walLock) read() ([]byte, error) {
	if _, err := l.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(l.f)
}

// guardWAL is Open's check: in the situation SQLite would replay path's
// WAL, it refuses a damaged one. It returns the flock to hold until the
// first read has built the wal-index (nil when there was nothing to hold).
func guardWAL(ctx context.Context, path string) (*walLock, error) {
	lock, err := lockWAL(ctx, path)
	if lock == nil || err != nil {
		return nil, err
	}
	others, err := othersHaveOpen(path)
	if err != nil || others {
		lock.release()
		if errors.Is(err, errNoProbe) {
			err = nil // as before this check existed; see walguard_other.go
		}
		// Someone else's SQLite owns the wal-index: SQLite will not
		// replay here; nothing to check.
		return nil, err
	}
	wal, err := lock.read()
	if err != nil {
		lock.release()
		return nil, err
	}
	if r := walcheck.Check(wal); r.Damaged {
		lock.release()
		return nil, &WALDamageError{Path: path + "-wal", Report: r}
	}
	return lock, nil
}
