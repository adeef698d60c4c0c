package securestore

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/protector"
)

// Migration reports what Migrate did to one store.
type Migration struct {
	Store    string // app "NAME" or access group "NAME"
	From, To string // protector names; equal when the store was already under To
	// CleanupErr is why the old protector's own state (a keychain item,
	// say) could not be removed after the move. The move itself
	// succeeded; the old state is only left behind.
	CleanupErr error
}

// Migrate moves the device key of cfg.App's store, and of each access
// group in cfg.AccessGroups that has a store, under the protector named
// to, without touching a single item: the device key stays the same and
// is only wrapped anew. cfg.Protector is ignored; a store is opened with
// whatever protector it records.
//
// For each store, Migrate
//
//  1. unwraps the device key with the store's protector,
//  2. wraps it with the new one and checks that the new blob unwraps to
//     the same key,
//  3. replaces the meta rows "protector" and "device_key" in one database
//     transaction (if they are still what step 1 read),
//  4. asks the old protector to remove its own state, if it keeps any
//     (protector.Remover), best effort.
//
// A crash at any point loses nothing: until step 3 commits the store
// still records the old protector and blob, whose state is untouched;
// after it, the new ones, whose state step 2 made and checked. A crash
// between 2 and 3 leaves only unused state of the new protector; one
// between 3 and 4, unused state of the old.
//
// Each store moves on its own, the app's first: a crash between two stores
// leaves the first moved and the second not (both open, with "auto" or
// each with its own protector); running Migrate again finishes the job.
//
// Stores that other processes have open go on working: their device key
// has not changed. A protector that is unavailable is an error, never a
// fallback.
func Migrate(ctx context.Context, cfg Config, to string) ([]Migration, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("securestore: migrate: %w", err)
	}
	if to == "" || to == protector.Auto {
		return nil, fmt.Errorf("securestore: migrate: %w: name the protector to move to, not %q", ErrInvalidOption, to)
	}
	if _, err := defaultProtectors().Lookup(to); err != nil {
		return nil, fmt.Errorf("securestore: migrate: %w: %w", ErrInvalidOption, err)
	}
	p, err := defaultProtectors().Select(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("securestore: migrate to %q: %w", to, err)
	}

	type target struct{ kind, name string }
	targets := []target{{"app", r.app}}
	for _, g := range cfg.AccessGroups {
		targets = append(targets, target{"group", g})
	}
	var done []Migration
	for i, t := range targets {
		path := storeFile(r.dir, t.kind, t.name)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if i == 0 {
				return nil, fmt.Errorf("securestore: migrate: %w: app %q has no store in %s", ErrNotFound, r.app, r.dir)
			}
			continue // an access group nobody has used yet
		}
		m, err := migrateStore(ctx, r.dir, t.kind, t.name, p)
		if err != nil {
			return done, fmt.Errorf("securestore: migrate %s to %q: %w", m.Store, to, err)
		}
		done = append(done, m)
	}
	return done, nil
}

// migrateHook, when set (by tests), is called between the steps of a
// migration, so that a test can crash the process there.
var migrateHook func(step string)

func migrateStep(step string) {
	if migrateHook != nil {
		migrateHook(step)
	}
}

func migrateStore(ctx context.Context, dir, kind, name string, to protector.Protector) (m Migration, err error) {
	v, err := openStoreDB(ctx, dir, kind, name, protector.Auto, true)
	if err != nil {
		return Migration{Store: (&storeDB{kind: kind, name: name}).describe()}, err
	}
	defer v.close()
	m = Migration{Store: v.describe(), From: v.protector, To: to.Name()}
	if v.protector == to.Name() {
		return m, nil
	}
	from, err := defaultProtectors().Lookup(v.protector)
	if err != nil {
		return m, err
	}
	var oldBlob []byte
	if err := v.db.View(ctx, func(tx *storage.Tx) error {
		var err error
		oldBlob, err = tx.Meta(metaDeviceKey)
		return err
	}); err != nil {
		return m, storageErr(err)
	}
	scope := protector.Scope{Dir: dir, Store: v.id}

	// 2. Wrap under the new protector, and check the result.
	migrateStep("unwrapped")
	pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	defer cancel()
	newBlob, err := to.Wrap(pctx, scope, v.device)
	if err != nil {
		return m, fmt.Errorf("wrap the device key: %w", err)
	}
	// Until the commit below, the new state is ours to clean up.
	committed := false
	defer func() {
		if !committed {
			removeState(ctx, to, scope, newBlob)
		}
	}()
	check, err := to.Unwrap(pctx, scope, newBlob)
	same := err == nil && subtle.ConstantTimeCompare(check, v.device) == 1
	keys.Wipe(check)
	if !same {
		if err == nil {
			err = errors.New("it unwraps to another key")
		}
		return m, fmt.Errorf("the newly wrapped device key does not unwrap (nothing was changed): %w", err)
	}
	migrateStep("wrapped")

	// 3. Switch the store over in one transaction.
	err = v.db.Update(ctx, func(tx *storage.Tx) error {
		curName, err := tx.Meta(metaProtector)
		if err != nil {
			return err
		}
		curBlob, err := tx.Meta(metaDeviceKey)
		if err != nil {
			return err
		}
		if string(curName) != v.protector || !bytes.Equal(curBlob, oldBlob) {
			return fmt.Errorf("another process changed the store's protector meanwhile (now %q); nothing was changed", curName)
		}
		if err := tx.SetMeta(metaProtector, []byte(to.Name())); err != nil {
			return err
		}
		return tx.SetMeta(metaDeviceKey, newBlob)
	})
	if err != nil {
		return m, storageErr(err)
	}
	committed = true
	migrateStep("committed")

	// 4. Clean up after the old protector.
	m.CleanupErr = removeState(ctx, from, scope, oldBlob)
	return m, nil
}

// removeState asks p to remove the state behind blob, if p keeps any. It
// runs even when ctx has ended (it cleans up after a failure, which may
// be that very cancellation), bounded by ProtectorTimeout instead.
func removeState(ctx context.Context, p protector.Protector, scope protector.Scope, blob []byte) error {
	r, ok := p.(protector.Remover)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ProtectorTimeout)
	defer cancel()
	return r.Remove(ctx, scope, blob)
}
