package securestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/securestore-go/securestore/internal/fsutil"
	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/secmem"
	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/protector"
)

// openStoreDB opens the store kind:name in dir, creating it (with a new
// device key wrapped by the chosen protector) if it does not exist and
// create is set; else a store that does not exist is ErrNoStore, and
// nothing is created.
func openStoreDB(ctx context.Context, dir, kind, name, protectorName string, create bool) (_ *storeDB, err error) {
	v := &storeDB{kind: kind, name: name, id: kind + ":" + name, attempts: make(chan struct{}, 1)}
	path := storeFile(dir, kind, name)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := fsutil.CheckPrivate(p); err != nil {
			return nil, err
		}
	}
	if !create {
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, noStoreErr(dir, kind, name)
		}
	} else if err := fsutil.CreatePrivate(path); err != nil {
		return nil, err
	}
	if v.db, err = storage.Open(ctx, path); err != nil {
		return nil, storageErr(err)
	}
	defer func() {
		if err != nil {
			v.db.Close()
		}
	}()
	scope := protector.Scope{Dir: dir, Store: v.id}
	v.scope = scope

	st, err := v.readState(ctx)
	if errors.Is(err, storage.ErrNotFound) && !create {
		return nil, noStoreErr(dir, kind, name)
	}
	if errors.Is(err, storage.ErrNotFound) {
		st, err = v.create(ctx, scope, protectorName)
	}
	if err != nil {
		return nil, storageErr(err)
	}
	v.protector = st.protector

	if protectorName != protector.Auto && protectorName != st.protector {
		return nil, fmt.Errorf("%w: %s is protected by %q, not %q; open it with that protector (or \"auto\"), "+
			"or move it with: securestore migrate --to %s",
			ErrInvalidOption, path, st.protector, protectorName, protectorName)
	}
	if err := v.unwrapDevice(ctx, scope, st); err != nil {
		return nil, err
	}
	if err := v.checkEpoch(ctx, scope); err != nil {
		v.wipe()
		return nil, err
	}
	return v, nil
}

// noStoreErr is ErrNoStore for the store kind:name in dir.
func noStoreErr(dir, kind, name string) error {
	return fmt.Errorf("%w: %s %q has none in %s", ErrNoStore, kindWord(kind), name, dir)
}

// kindWord names a store's kind in messages.
func kindWord(kind string) string {
	if kind == "group" {
		return "access group"
	}
	return kind
}

// storeDBState is what a store's database records about its keys.
type storeDBState struct {
	protector   string
	blob        []byte // the device key as the protector wrapped it
	hasPasscode bool
	wrapped     []storage.ClassKey
	generation  uint64
}

// readState reads the store's keys; storage.ErrNotFound means the store
// has not been created yet.
func (v *storeDB) readState(ctx context.Context) (*storeDBState, error) {
	var st *storeDBState
	err := v.db.View(ctx, func(tx *storage.Tx) error {
		var err error
		st, err = v.readStateTx(tx)
		return err
	})
	return st, err
}

// readStateTx reads the store's keys within tx. It returns
// storage.ErrNotFound only for a store with nothing in it yet; a store
// that lost some of its keys is refused (checkEmpty), in the same
// snapshot, so that a store being created by another process is never
// mistaken for a damaged one.
func (v *storeDB) readStateTx(tx *storage.Tx) (*storeDBState, error) {
	st, err := v.readKeys(tx)
	if errors.Is(err, storage.ErrNotFound) {
		if err := checkEmpty(tx, v.db.Path()); err != nil {
			return nil, err
		}
	}
	return st, err
}

func (v *storeDB) readKeys(tx *storage.Tx) (*storeDBState, error) {
	st := &storeDBState{}
	var err error
	if st.blob, err = tx.Meta(metaDeviceKey); err != nil {
		return nil, err
	}
	stored, err := tx.Meta(metaStore)
	if err != nil {
		return nil, err
	}
	if string(stored) != v.id {
		// Two names that differ only in case share a file on a
		// case-insensitive file system. The stored name is not quoted:
		// messages never hold bytes read from a store.
		return nil, fmt.Errorf("%w: %s holds another store than %q", ErrCorrupt, v.db.Path(), v.id)
	}
	p, err := tx.Meta(metaProtector)
	if err != nil {
		return nil, err
	}
	st.protector = string(p)
	if _, err := defaultProtectors().Lookup(st.protector); err != nil {
		// Lookup's message quotes the name; only its sentinel is kept.
		// A damaged name, not a wrong option: the store names no protector
		// this program has (the name itself is not quoted).
		return nil, fmt.Errorf("%w: %s names a protector this program does not have (%d bytes): %w",
			ErrCorrupt, v.db.Path(), len(p), protector.ErrUnknown)
	}
	if _, err := tx.Meta(metaPasscode); err == nil {
		st.hasPasscode = true
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if st.generation, err = readGenerationTx(tx); err != nil {
		return nil, err
	}
	st.wrapped, err = tx.ClassKeys()
	return st, err
}

// unwrapDevice recovers the device key through the store's protector and
// makes the class keys available that the device key alone unwraps: all
// but WhenPasscodeSet without a passcode, the Always classes with one (a
// store with a passcode opens locked).
func (v *storeDB) unwrapDevice(ctx context.Context, scope protector.Scope, st *storeDBState) error {
	raw, err := unwrapDeviceKey(ctx, st.protector, scope, st.blob)
	if err == nil {
		v.deviceBuf = secmem.Copy(raw)
		v.device = v.deviceBuf.Bytes()
		keys.Wipe(raw)
	}
	if errors.Is(err, protector.ErrKeyCorrupt) {
		return fmt.Errorf("%w: unwrap the device key with the %q protector: %w", ErrCorrupt, st.protector, err)
	}
	if err != nil {
		return fmt.Errorf("unwrap the device key with the %q protector: %w", st.protector, err)
	}
	v.meta = keys.DeriveMetadata(v.device, v.id)
	if err := checkClassKeys(st.wrapped, st.hasPasscode); err != nil {
		v.wipe()
		return err
	}
	deviceOnly, err := v.unwrapClassKeys(st.wrapped, keys.WrapDevice, v.deviceKEK())
	if err != nil {
		v.wipe()
		return err
	}
	v.publish(newClassSet(deviceOnly, st.hasPasscode, st.generation))
	wipeKeys(deviceOnly)
	return nil
}

// unwrapDeviceKey asks the protector called name for the device key that
// blob wraps, within ProtectorTimeout. The caller wipes the key.
func unwrapDeviceKey(ctx context.Context, name string, scope protector.Scope, blob []byte) ([]byte, error) {
	p, err := defaultProtectors().Lookup(name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	defer cancel()
	return p.Unwrap(ctx, scope, blob)
}

// create makes a new store: a device key wrapped by the chosen protector,
// and a class key for every class that needs no passcode. The protector
// is called before the database's write lock is taken, so that a slow key
// store (a keyring prompt, a TPM) never holds up other writers; if another
// process created the store meanwhile, its keys win and ours are dropped.
func (v *storeDB) create(ctx context.Context, scope protector.Scope, protectorName string) (*storeDBState, error) {
	p, err := chooseProtector(ctx, protectorName)
	if err != nil {
		return nil, err
	}
	device := keys.New()
	defer keys.Wipe(device)
	pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	blob, err := p.Wrap(pctx, scope, device)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("wrap the device key with the %q protector: %w", p.Name(), err)
	}

	var st *storeDBState
	ours := false
	err = v.db.Update(ctx, func(tx *storage.Tx) error {
		st, err = v.readStateTx(tx)
		if !errors.Is(err, storage.ErrNotFound) {
			return err // created by another process meanwhile, or broken
		}
		if err := v.writeNewKeys(tx, p.Name(), blob, device); err != nil {
			return err
		}
		ours = true
		st, err = v.readStateTx(tx)
		return err
	})
	if !ours || err != nil {
		// Our wrapped key is not the store's: drop what the protector
		// keeps for it (a keyring item, say), best effort.
		removeState(ctx, p, scope, blob)
	}
	return st, err
}

// chooseProtector picks the protector for a new store: the best available
// for "auto", else the one named, which must be available.
func chooseProtector(ctx context.Context, name string) (protector.Protector, error) {
	p, err := defaultProtectors().Select(ctx, name)
	if err != nil && name != protector.Auto {
		// Named by Config.Protector or $SECURESTORE_PROTECTOR: never fall
		// back to another, maybe weaker, one.
		return nil, fmt.Errorf("the protector %q that was asked for is not available, and a named protector "+
			"never falls back to another: %w", name, err)
	}
	return p, err
}

// writeNewKeys records a new store's identity, protector and wrapped device
// key, and a fresh class key for every class but WhenPasscodeSet (which
// exists only while a passcode is set).
func (v *storeDB) writeNewKeys(tx *storage.Tx, protectorName string, blob, device []byte) error {
	for _, m := range []struct {
		name  string
		value []byte
	}{{metaStore, []byte(v.id)}, {metaProtector, []byte(protectorName)}, {metaDeviceKey, blob}} {
		if err := tx.SetMeta(m.name, m.value); err != nil {
			return err
		}
	}
	kek := keys.DeviceKEK(device, v.id)
	defer keys.Wipe(kek)
	for c := Accessibility(0); c < numClasses; c++ {
		if c == WhenPasscodeSetThisDeviceOnly {
			continue
		}
		ck := keys.New()
		err := tx.PutClassKey(storage.ClassKey{
			Class:    uint8(c),
			Wrapping: keys.WrapDevice,
			Blob:     keys.WrapClassKey(kek, v.id, uint8(c), keys.WrapDevice, ck),
		})
		keys.Wipe(ck)
		if err != nil {
			return err
		}
	}
	return nil
}

// checkEmpty refuses to create a store over part of one: a database that
// lost its wrapped device key (or another meta row) still holds class keys
// and items, and new keys would overwrite the class keys and make every
// item unreadable for good. Such a store is damaged; restoring the row
// brings it back.
func checkEmpty(tx *storage.Tx, path string) error {
	for _, name := range []string{metaStore, metaProtector, metaDeviceKey} {
		if _, err := tx.Meta(name); !errors.Is(err, storage.ErrNotFound) {
			if err != nil {
				return err
			}
			return fmt.Errorf("%w: %s is a store without its wrapped device key (meta %q, %q and %q must all be there): %w",
				ErrCorrupt, path, metaStore, metaProtector, metaDeviceKey, protector.ErrKeyMissing)
		}
	}
	wrapped, err := tx.ClassKeys()
	if err != nil {
		return err
	}
	if len(wrapped) > 0 {
		return fmt.Errorf("%w: %s holds class keys but no wrapped device key: %w", ErrCorrupt, path, protector.ErrKeyMissing)
	}
	return nil
}
