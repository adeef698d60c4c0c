package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/securestore-go/securestore/internal/fsutil"
	"github.com/securestore-go/securestore/internal/walcheck"
)

// RepairReport says what Repair found and did.
type RepairReport struct {
	// Damaged: the WAL was provably damaged (see WALDamageError). When
	// false, Repair changed nothing.
	Damaged bool
	// KeptCommits and KeptFrames: the transactions and frames before the
	// damage, which are now in the database.
	KeptCommits, KeptFrames int
	// DroppedFrames: whole frames after them, set aside. LostCommits is how
	// many of those are commit frames that still check: committed
	// transactions lost, at least.
	DroppedFrames, LostCommits int
	// DamagedCopy is where the damaged -wal file was moved, byte for byte.
	DamagedCopy string
}

// Repair brings a database whose -wal file Open refuses as damaged back to
// a state Open accepts, keeping only what is provably good: the
// transactions before the first damaged frame, exactly what SQLite itself
// would replay. It never guesses at the frames after the damage: it keeps
// the whole damaged file next to the database as
// <path>-wal.damaged-<UTC time> (mode 0600) and reports how much it set
// aside. A WAL without proven damage is left alone.
//
// No process may have the database open: Repair refuses if one does.
func Repair(ctx context.Context, path string) (RepairReport, error) {
	rep, err := repair(ctx, path, false)
	return rep, classify(path, err)
}

// CheckWAL is Repair without the repair: it reports what Repair would
// keep and set aside, and changes nothing (DamagedCopy is empty).
func CheckWAL(ctx context.Context, path string) (RepairReport, error) {
	rep, err := repair(ctx, path, true)
	return rep, classify(path, err)
}

func repair(ctx context.Context, path string, dryRun bool) (RepairReport, error) {
	file := fileState(path)
	file.mu.Lock()
	defer file.mu.Unlock()
	if file.refs > 0 {
		return RepairReport{}, fmt.Errorf("repair %s: %w", path, errInUse)
	}
	lock, err := lockWAL(ctx, path)
	if lock == nil || err != nil {
		return RepairReport{}, err // no WAL: nothing to repair
	}
	defer lock.release()
	others, err := othersHaveOpen(path)
	if err != nil {
		return RepairReport{}, fmt.Errorf("repair %s: %w", path, err)
	}
	if others {
		return RepairReport{}, fmt.Errorf("repair %s: %w", path, errInUse)
	}
	wal, err := lock.read()
	if err != nil {
		return RepairReport{}, err
	}
	r := walcheck.Check(wal)
	if !r.Damaged {
		return RepairReport{}, nil
	}
	rep := RepairReport{
		Damaged: true, KeptCommits: r.Commits, KeptFrames: r.Valid,
		DroppedFrames: r.DroppedFrames(), LostCommits: r.LostCommits,
	}
	if dryRun {
		return rep, nil
	}

	// 1. Keep the damaged file, durably, before changing anything.
	rep.DamagedCopy = fmt.Sprintf("%s-wal.damaged-%s", path, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := writeNew(rep.DamagedCopy, wal); err != nil {
		return RepairReport{}, fmt.Errorf("repair %s: keep the damaged WAL: %w", path, err)
	}
	// 2. Cut the WAL to what SQLite replays anyway; from here it is a
	// clean WAL and Open accepts it.
	if err := lock.f.Truncate(r.PrefixLen()); err != nil {
		return rep, fmt.Errorf("repair %s: %w", path, err)
	}
	if err := lock.f.Sync(); err != nil {
		return rep, fmt.Errorf("repair %s: %w", path, err)
	}
	// 3. Fold the kept prefix into the database file, still under the
	// flock, so that the repaired database no longer depends on the WAL.
	if err := checkpoint(ctx, path); err != nil {
		return rep, fmt.Errorf("repair %s: the WAL is cut to its good prefix, but checkpointing it failed: %w", path, err)
	}
	return rep, nil
}

// writeNew writes data to a file that must not exist yet, mode 0600, and
// makes it and its directory entry durable.
func writeNew(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(name))
}

// checkpoint copies the WAL into the database file and empties it.
func checkpoint(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return err
	}
	defer db.Close()
	var busy, logFrames, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return classify(path, err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: %w", errInUse)
	}
	return nil
}
