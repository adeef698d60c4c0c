package securestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/securestore-go/securestore/internal/fsutil"
	"github.com/securestore-go/securestore/internal/storage"
)

// RepairReport says what Repair found and did: whether the store's WAL
// was damaged, the transactions kept and the frames set aside, and where
// the damaged file was kept.
type RepairReport = storage.RepairReport

// Repair brings back a store that Open refuses because its write-ahead
// log (the -wal file) is damaged (ErrCorrupt, "frame N of M is damaged").
// It keeps exactly what is provably good, the transactions before the
// damage, which is what SQLite itself would read; it never guesses at the
// rest, keeps the whole damaged file next to the store, and reports how
// many committed transactions it had to set aside. A store whose WAL is
// not damaged is left unchanged (RepairReport.Damaged is false).
//
// No process may have the store open meanwhile. Repair needs no key:
// it works on the database file, not on the records.
func Repair(ctx context.Context, cfg Config, group string) (RepairReport, error) {
	return repairStore(ctx, cfg, group, storage.Repair)
}

// PlanRepair reports what Repair would do, and changes nothing: whether
// the WAL is damaged, and how many transactions Repair would keep and set
// aside.
func PlanRepair(ctx context.Context, cfg Config, group string) (RepairReport, error) {
	return repairStore(ctx, cfg, group, storage.CheckWAL)
}

func repairStore(ctx context.Context, cfg Config, group string,
	do func(context.Context, string) (storage.RepairReport, error)) (RepairReport, error) {
	r, err := cfg.resolve()
	if err != nil {
		return RepairReport{}, fmt.Errorf("securestore: repair: %w", err)
	}
	kind, name := "app", r.app
	if group != "" {
		if err := validName("access group", group); err != nil {
			return RepairReport{}, fmt.Errorf("securestore: repair: %w", err)
		}
		kind, name = "group", group
	}
	v := &storeDB{kind: kind, name: name}
	path := storeFile(r.dir, kind, name)
	fail := func(err error) (RepairReport, error) {
		return RepairReport{}, fmt.Errorf("securestore: repair %s: %w", v.describe(), err)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("%w: no store in %s", ErrNotFound, r.dir))
	}
	for _, p := range []string{r.dir, path, path + "-wal", path + "-shm"} {
		if err := fsutil.CheckPrivate(p); err != nil {
			return fail(err)
		}
	}
	rep, err := do(ctx, path)
	if err != nil {
		return fail(storageErr(err))
	}
	return rep, nil
}
