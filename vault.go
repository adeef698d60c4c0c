package securestore

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/securestore-go/securestore/internal/fsutil"
	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/protector"
)

// ProtectorTimeout bounds every call into a protector (a key store, a TPM),
// so that a hung OS service makes Open fail instead of hang.
const ProtectorTimeout = 30 * time.Second

// Names of the settings in a store's meta table (docs/FORMAT.md).
const (
	metaStore     = "store"      // the store's identity, "app:NAME" or "group:NAME"
	metaProtector = "protector"  // the name of the protector that wraps the device key
	metaDeviceKey = "device_key" // the device key as the protector wrapped it
	metaPasscode  = "passcode"   // Argon2id parameters and salt; absent when no passcode is set
	metaFailures  = "passcode_failures"
)

// vault is one store database (an app's own, or an access group's) with its
// keys: what Store operations act on once the options picked a store.
type vault struct {
	kind      string // "app" or "group"
	name      string
	id        string // kind:name, the identity bound into every record
	db        *storage.DB
	protector string
	device    []byte
	meta      *keys.Metadata
	classes   atomic.Pointer[classSet]

	// writeMu is held shared by item writes and exclusively by passcode
	// changes, so that no write seals a value under a class key that a
	// passcode change is removing.
	writeMu sync.RWMutex
}

// describe names the store for messages: app "NAME" or access group "NAME".
func (v *vault) describe() string {
	if v.kind == "group" {
		return fmt.Sprintf("access group %q", v.name)
	}
	return fmt.Sprintf("app %q", v.name)
}

// storeFile is the database file of a store: app.NAME.db or group.NAME.db.
// The name has passed the key rule, so it holds no path separator.
func storeFile(dir, kind, name string) string {
	return filepath.Join(dir, kind+"."+name+".db")
}

// openVault opens the store kind:name in dir, creating it (with a new
// device key wrapped by the chosen protector) if it does not exist.
func openVault(ctx context.Context, dir, kind, name, protectorName string) (_ *vault, err error) {
	id := kind + ":" + name
	path := storeFile(dir, kind, name)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := fsutil.CheckPrivate(p); err != nil {
			return nil, err
		}
	}
	if err := fsutil.CreatePrivate(path); err != nil {
		return nil, err
	}
	db, err := storage.Open(ctx, path)
	if err != nil {
		return nil, storageErr(err)
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	v := &vault{kind: kind, name: name, id: id, db: db}
	scope := protector.Scope{Dir: dir, Store: id}

	var blob []byte
	var wrapped []storage.ClassKey
	var hasPasscode bool
	read := func(tx *storage.Tx) error {
		var err error
		if blob, err = tx.Meta(metaDeviceKey); err != nil {
			return err
		}
		stored, err := tx.Meta(metaStore)
		if err != nil {
			return err
		}
		if string(stored) != id {
			// Two names that differ only in case share a file on a
			// case-insensitive file system.
			return fmt.Errorf("%w: %s holds the store %q, not %q", ErrCorrupt, path, stored, id)
		}
		p, err := tx.Meta(metaProtector)
		if err != nil {
			return err
		}
		v.protector = string(p)
		if _, err := tx.Meta(metaPasscode); err == nil {
			hasPasscode = true
		} else if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		wrapped, err = tx.ClassKeys()
		return err
	}
	err = db.View(ctx, read)
	if errors.Is(err, storage.ErrNotFound) {
		err = db.Update(ctx, func(tx *storage.Tx) error {
			// Another process may have created the store meanwhile.
			if err := read(tx); !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			if err := checkEmpty(tx, path); err != nil {
				return err
			}
			return v.create(ctx, tx, scope, protectorName, read)
		})
	}
	if err != nil {
		return nil, storageErr(err)
	}

	if protectorName != protector.Auto && protectorName != v.protector {
		return nil, fmt.Errorf("%w: %s is protected by %q, not %q; open it with that protector (or \"auto\"), "+
			"or move it with: securestore migrate --to %s",
			ErrInvalidOption, path, v.protector, protectorName, protectorName)
	}
	p, err := protector.Lookup(v.protector)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	v.device, err = p.Unwrap(pctx, scope, blob)
	cancel()
	if errors.Is(err, protector.ErrKeyCorrupt) {
		return nil, fmt.Errorf("%w: unwrap the device key with the %q protector: %w", ErrCorrupt, v.protector, err)
	}
	if err != nil {
		return nil, fmt.Errorf("unwrap the device key with the %q protector: %w", v.protector, err)
	}
	v.meta = keys.DeriveMetadata(v.device, id)
	if err := checkClassKeys(wrapped, hasPasscode); err != nil {
		v.wipe()
		return nil, err
	}
	// A store with a passcode opens locked: only the keys that the device
	// key alone wraps (the Always classes) are available.
	deviceOnly, err := v.unwrapClassKeys(wrapped, keys.WrapDevice, v.deviceKEK())
	if err != nil {
		v.wipe()
		return nil, err
	}
	v.classes.Store((&classSet{}).with(ciphers(deviceOnly), hasPasscode))
	wipeKeys(deviceOnly)
	return v, nil
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

// create makes a new store inside tx: a device key wrapped by the chosen
// protector and a class key for every class that needs no passcode. It
// then reads the store back through read, as openVault would.
func (v *vault) create(ctx context.Context, tx *storage.Tx, scope protector.Scope, protectorName string, read func(*storage.Tx) error) error {
	var p protector.Protector
	var err error
	if protectorName == protector.Auto {
		p, _, err = protector.Choose(ctx)
	} else {
		p, err = protector.Lookup(protectorName)
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, protector.ProbeTimeout)
			err = p.Available(pctx)
			cancel()
			if err != nil {
				// Named by Config.Protector or $SECURESTORE_PROTECTOR:
				// never fall back to another, maybe weaker, one.
				err = fmt.Errorf("the protector %q that was asked for is not available, and a named protector "+
					"never falls back to another: %w", protectorName, err)
			}
		}
	}
	if err != nil {
		return err
	}
	device := keys.New()
	defer keys.Wipe(device)
	pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	blob, err := p.Wrap(pctx, scope, device)
	cancel()
	if err != nil {
		return fmt.Errorf("wrap the device key with the %q protector: %w", p.Name(), err)
	}
	for name, value := range map[string][]byte{metaStore: []byte(v.id), metaProtector: []byte(p.Name()), metaDeviceKey: blob} {
		if err := tx.SetMeta(name, value); err != nil {
			return err
		}
	}
	kek := keys.DeviceKEK(device, v.id)
	defer keys.Wipe(kek)
	for c := Accessibility(0); c < numClasses; c++ {
		if c == WhenPasscodeSetThisDeviceOnly {
			continue // exists only while a passcode is set
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
	return read(tx)
}

// deviceKEK derives the key that wraps the class keys needing no passcode.
// The caller wipes it.
func (v *vault) deviceKEK() []byte { return keys.DeviceKEK(v.device, v.id) }

// errWrongKEK reports that the first class key did not unwrap: the key
// encryption key is wrong (a wrong passcode), not the data damaged.
var errWrongKEK = errors.New("class keys do not unwrap with this key")

// unwrapClassKeys unwraps, with kek (which it wipes), the class keys
// wrapped as wrapping. If none of them unwraps it returns errWrongKEK; if
// only some do, the others are damaged (ErrCorrupt). The caller wipes the
// keys (wipeKeys).
func (v *vault) unwrapClassKeys(wrapped []storage.ClassKey, wrapping uint8, kek []byte) (map[Accessibility][]byte, error) {
	defer keys.Wipe(kek)
	out := map[Accessibility][]byte{}
	failed := 0
	for _, w := range wrapped {
		if w.Wrapping != wrapping {
			continue
		}
		ck, err := keys.UnwrapClassKey(kek, v.id, w.Class, w.Wrapping, w.Blob)
		if err != nil {
			failed++
			continue
		}
		out[Accessibility(w.Class)] = ck
	}
	switch {
	case failed > 0 && len(out) == 0 && wrapping == keys.WrapDevicePasscode:
		return nil, errWrongKEK
	case failed > 0:
		wipeKeys(out)
		return nil, fmt.Errorf("%w: %d class keys do not unwrap", ErrCorrupt, failed)
	}
	return out, nil
}

// checkClassKeys checks that the store has the class keys it must have:
// every class but WhenPasscodeSetThisDeviceOnly always, and that one while a
// passcode is set, each wrapped the way the passcode state says. A missing
// or misfiled key means the store is damaged, not locked.
func checkClassKeys(wrapped []storage.ClassKey, hasPasscode bool) error {
	var have [numClasses]bool
	for _, w := range wrapped {
		c := Accessibility(w.Class)
		if !c.valid() {
			return fmt.Errorf("%w: class key for unknown class %d", ErrCorrupt, w.Class)
		}
		want := keys.WrapDevice
		if hasPasscode && c.needsPasscode() {
			want = keys.WrapDevicePasscode
		}
		if w.Wrapping != want {
			return fmt.Errorf("%w: the key of class %v has wrapping %d, want %d", ErrCorrupt, c, w.Wrapping, want)
		}
		have[c] = true
	}
	for c, ok := range have {
		if !ok && (hasPasscode || Accessibility(c) != WhenPasscodeSetThisDeviceOnly) {
			return fmt.Errorf("%w: the key of class %v is missing", ErrCorrupt, Accessibility(c))
		}
	}
	return nil
}

// ciphers turns class keys into their ciphers.
func ciphers(raw map[Accessibility][]byte) map[Accessibility]cipher.AEAD {
	out := make(map[Accessibility]cipher.AEAD, len(raw))
	for c, k := range raw {
		aead, err := record.NewAEAD(k)
		if err != nil {
			panic(err) // class keys are always keys.Size bytes
		}
		out[c] = aead
	}
	return out
}

func wipeKeys(raw map[Accessibility][]byte) {
	for _, k := range raw {
		keys.Wipe(k)
	}
}

// classKey returns the cipher of class c, or why it is not available.
func (v *vault) classKey(c Accessibility) (cipher.AEAD, error) {
	return v.classes.Load().key(c)
}

func (v *vault) get(ctx context.Context, service, key string) (string, error) {
	id := v.meta.ItemID(service, key)
	class, blob, err := v.db.Get(ctx, id)
	if err != nil {
		return "", storageErr(err)
	}
	aead, err := v.classKey(Accessibility(class))
	if err != nil {
		return "", err
	}
	pt, err := record.Open(aead, blob, record.ItemAD(v.id, service, key, class))
	if err != nil {
		return "", fmt.Errorf("%w: the value does not authenticate", ErrCorrupt)
	}
	s := string(pt)
	clear(pt)
	return s, nil
}

func (v *vault) set(ctx context.Context, service, key string, class Accessibility, value string) error {
	v.writeMu.RLock()
	defer v.writeMu.RUnlock()
	aead, err := v.classKey(class)
	if err != nil {
		return err
	}
	return storageErr(v.db.Put(ctx, v.item(service, key, class, aead, []byte(value))))
}

// item seals one item for storage: its index id, service tag, sealed name
// and value sealed under its class key aead.
func (v *vault) item(service, key string, class Accessibility, aead cipher.AEAD, value []byte) *storage.Item {
	id := v.meta.ItemID(service, key)
	return &storage.Item{
		ID:    id,
		Svc:   v.meta.ServiceTag(service),
		Class: uint8(class),
		Name:  v.meta.SealName(id, service, key),
		Value: record.Seal(aead, value, record.ItemAD(v.id, service, key, uint8(class))),
	}
}

func (v *vault) delete(ctx context.Context, service, key string) error {
	return storageErr(v.db.Delete(ctx, v.meta.ItemID(service, key)))
}

func (v *vault) has(ctx context.Context, service, key string) (bool, error) {
	ok, err := v.db.Has(ctx, v.meta.ItemID(service, key))
	return ok, storageErr(err)
}

func (v *vault) keys(ctx context.Context, service string) ([]string, error) {
	rows, err := v.db.ListService(ctx, v.meta.ServiceTag(service))
	if err != nil {
		return nil, storageErr(err)
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		svc, key, err := v.meta.OpenName(r.ID, r.Name)
		if err != nil || svc != service {
			return nil, fmt.Errorf("%w: an item name does not authenticate", ErrCorrupt)
		}
		out = append(out, key)
	}
	return out, nil
}

func (v *vault) close() error {
	err := v.db.Close()
	v.wipe()
	return storageErr(err)
}

func (v *vault) wipe() {
	keys.Wipe(v.device)
	if v.meta != nil {
		v.meta.Wipe()
	}
	v.classes.Store(&classSet{})
}

// storageErr maps the storage layer's errors onto the public sentinels.
func storageErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, storage.ErrCorrupt):
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	case errors.Is(err, storage.ErrClosed):
		return ErrClosed
	}
	return err
}
