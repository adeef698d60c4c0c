package securestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/securestore-go/securestore/internal/fsutil"
	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/protector"
)

// Info describes one store for `securestore doctor`: where it is, what
// protects its device key, and how many items it holds. It never holds a
// key, a name or a value.
type Info struct {
	// Store names the store: app "NAME" or access group "NAME".
	Store string
	// ID is the store's identity as the library binds it into every
	// record and into its protector's scope: "app:NAME" or "group:NAME".
	ID string
	// Dir is the store directory; Path is the store's database file.
	Dir, Path string
	// Exists is false when there is no store yet; Open would create one.
	Exists bool
	// Protector is the protector recorded in the store, which wraps its
	// device key ("" when !Exists).
	Protector string
	// Requested is the protector that Config.Protector or
	// $SECURESTORE_PROTECTOR asks for, or "auto". Open refuses a store
	// whose Protector differs from a Requested other than "auto"; Migrate
	// moves it.
	Requested string
	// NewProtector, when !Exists, is the protector a new store would get
	// now: Requested, or for "auto" the first available one of
	// ProbeProtectors ("" when none is). It is "" when Exists.
	NewProtector string
	// Verdict is one line on what the store's key protection defends
	// against: Protector's own (NewProtector's when !Exists), or why
	// there is none to give.
	Verdict string
	// KeyErr is why the device key does not unwrap with Protector now, or
	// nil when it does. Only Inspect tries (an open Store has unwrapped it).
	KeyErr error
	// Files are the store directory, the database files and the
	// protector's own files, with their modes; missing ones are left out.
	Files []FileInfo
	// Items counts the store's items in each accessibility class (their
	// classes are stored in clear; names and values are not).
	Items map[Accessibility]int
	// Locked reports whether a passcode is set and WhenUnlocked items are
	// unreadable now (Store.Locked). For Inspect, which opens nothing, it
	// reports whether a passcode is set: every new Store starts locked.
	Locked bool
}

// FileInfo is one file or directory of a store.
type FileInfo struct {
	Path string
	Mode fs.FileMode
	// Problem says why Open would refuse the file (group or others can
	// read it, another user owns it); "" when it is private.
	Problem string
}

// Info describes the app's own store. It reads no value.
func (s *Store) Info(ctx context.Context) (Info, error) {
	v, done, err := s.ownDB(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("securestore: info: %w", err)
	}
	defer done()
	info := Info{
		Store:     v.describe(),
		ID:        v.id,
		Dir:       s.cfg.dir,
		Path:      v.db.Path(),
		Exists:    true,
		Protector: v.protector,
		Requested: s.cfg.protector,
		Locked:    v.classes.Load().locked(),
	}
	if info.Items, err = countItems(ctx, v.db); err != nil {
		return Info{}, fmt.Errorf("securestore: info of %s: %w", v.describe(), err)
	}
	scope := protector.Scope{Dir: s.cfg.dir, Store: v.id}
	info.Files = storeFiles(s.cfg.dir, info.Path, v.protector, scope)
	info.Verdict = verdict(v.protector, scope)
	return info, nil
}

// Inspect describes the app's store (or, when group is not "", the access
// group's) without creating it, opening it for use, or needing its key to
// work, so that it also describes a store that is missing, refused or
// broken. It tries to unwrap the device key, reports the outcome in
// KeyErr, and wipes the key at once.
func Inspect(ctx context.Context, cfg Config, group string) (Info, error) {
	r, err := cfg.resolve()
	if err != nil {
		return Info{}, fmt.Errorf("securestore: inspect: %w", err)
	}
	kind, name := "app", r.app
	if group != "" {
		if err := validName("access group", group); err != nil {
			return Info{}, fmt.Errorf("securestore: inspect: %w", err)
		}
		kind, name = "group", group
	}
	v := &storeDB{kind: kind, name: name, id: kind + ":" + name}
	info := Info{Store: v.describe(), ID: v.id, Dir: r.dir, Path: storeFile(r.dir, kind, name), Requested: r.protector}
	scope := protector.Scope{Dir: r.dir, Store: v.id}
	fail := func(err error) (Info, error) {
		return info, fmt.Errorf("securestore: inspect %s: %w", v.describe(), err)
	}
	if _, err := os.Stat(info.Path); errors.Is(err, fs.ErrNotExist) {
		info.Files = storeFiles(r.dir, info.Path, "", protector.Scope{})
		info.NewProtector = newProtector(ctx, r.protector)
		info.Verdict = verdict(info.NewProtector, scope)
		return info, nil
	} else if err != nil {
		return fail(err)
	}
	info.Exists = true
	// A store others can read is not opened, as Open would refuse it:
	// SQLite would create its -wal and -shm files with the database's
	// mode, exposing more.
	for _, p := range []string{r.dir, info.Path, info.Path + "-wal", info.Path + "-shm"} {
		if err := fsutil.CheckPrivate(p); err != nil {
			info.Files = storeFiles(r.dir, info.Path, "", protector.Scope{})
			info.KeyErr = fmt.Errorf("not checked: the store was not opened: %w", err)
			info.Verdict = "unknown: the store was not opened, because others can read its files"
			return info, nil
		}
	}

	db, err := storage.Open(ctx, info.Path)
	if err != nil {
		return fail(storageErr(err))
	}
	defer db.Close()
	var blob []byte
	err = db.View(ctx, func(tx *storage.Tx) error {
		p, err := tx.Meta(metaProtector)
		if err != nil {
			return err
		}
		info.Protector = string(p)
		// A store with a passcode opens locked.
		if _, err := tx.Meta(metaPasscode); err == nil {
			info.Locked = true
		} else if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		blob, err = tx.Meta(metaDeviceKey)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		// Created but never finished (a forced protector was unavailable);
		// the next Open completes it.
		info.KeyErr = fmt.Errorf("%w: the store has no device key yet", ErrNotFound)
		err = nil
	}
	if err != nil {
		return fail(storageErr(err))
	}
	if info.Items, err = countItems(ctx, db); err != nil {
		return fail(err)
	}
	info.Files = storeFiles(r.dir, info.Path, info.Protector, scope)
	info.Verdict = verdict(info.Protector, scope)
	if info.KeyErr == nil {
		info.KeyErr = tryUnwrap(ctx, info.Protector, scope, blob)
	}
	return info, nil
}

// ProbeProtectors asks each protector of the default set, in the order
// "auto" tries them, whether it is available here: the first available one
// is what auto gives a new store. It does not stop there, so that `securestore
// doctor` can say why each one was or was not chosen.
func ProbeProtectors(ctx context.Context) []protector.Probe {
	return defaultProtectors().ProbeAll(ctx)
}

// newProtector is the protector a new store would get now when requested
// is asked for: that one, or for auto the first available one ("" when
// none is).
func newProtector(ctx context.Context, requested string) string {
	if requested != protector.Auto {
		return requested
	}
	for _, p := range ProbeProtectors(ctx) {
		if p.Err == nil {
			return p.Name
		}
	}
	return ""
}

// verdict is the named protector's own one line on what it defends
// against, for the store that scope names.
func verdict(name string, scope protector.Scope) string {
	p, err := defaultProtectors().Lookup(name)
	if err != nil {
		return "no protector is available: a store cannot be created here"
	}
	if d, ok := p.(protector.Describer); ok {
		return d.Describe(scope).Verdict
	}
	return "the " + name + " protector does not describe what it defends against"
}

// tryUnwrap reports whether the device key unwraps, and wipes it.
func tryUnwrap(ctx context.Context, name string, scope protector.Scope, blob []byte) error {
	key, err := unwrapDeviceKey(ctx, name, scope, blob)
	keys.Wipe(key)
	return err
}

func countItems(ctx context.Context, db *storage.DB) (map[Accessibility]int, error) {
	counts, err := db.CountByClass(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	items := make(map[Accessibility]int, len(counts))
	for c, n := range counts {
		items[Accessibility(c)] = n
	}
	return items, nil
}

// storeFiles lists the store directory, the database and its WAL and
// shared-memory files, and the protector's own files, where they exist.
func storeFiles(dir, path, protectorName string, scope protector.Scope) []FileInfo {
	paths := []string{dir, path, path + "-wal", path + "-shm"}
	if p, err := defaultProtectors().Lookup(protectorName); err == nil {
		if d, ok := p.(protector.Describer); ok {
			paths = append(paths, d.Describe(scope).Files...)
		}
	}
	var files []FileInfo
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		f := FileInfo{Path: filepath.Clean(p), Mode: fi.Mode()}
		var perm *fsutil.PermissionError
		if err := fsutil.CheckPrivate(p); errors.As(err, &perm) {
			f.Problem = perm.Reason + "; fix it with: " + perm.Fix
		}
		files = append(files, f)
	}
	return files
}
