package securestore

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/secmem"
	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/protector"
)

// Names of the settings in a store's meta table (docs/FORMAT.md).
const (
	metaStore     = "store"      // the store's identity, "app:NAME" or "group:NAME"
	metaProtector = "protector"  // the name of the protector that wraps the device key
	metaDeviceKey = "device_key" // the device key as the protector wrapped it
	metaPasscode  = "passcode"   // Argon2id parameters and salt; absent when no passcode is set
	metaFailures  = "passcode_failures"
)

// storeDB is one open store (an app's own, or an access group's): its
// database with its keys, what Store operations act on once the options
// picked a store. docs/GLOSSARY.md has the words.
type storeDB struct {
	kind      string // "app" or "group"
	name      string
	id        string // kind:name, the identity bound into every record
	db        *storage.DB
	protector string
	scope     protector.Scope // what the protector is told about this store
	device    []byte          // the device key: deviceBuf's bytes
	deviceBuf *secmem.Buffer  // holds the device key, wiped on close
	meta      *keys.Metadata
	classes   atomic.Pointer[classSet]

	// writeMu is held shared by item writes and exclusively by passcode
	// changes, so that no write seals a value under a class key that a
	// passcode change is removing.
	writeMu sync.RWMutex

	// attempts holds one token while a passcode attempt runs, so that the
	// attempts of this process take turns (storedb_attempt.go).
	attempts chan struct{}

	epoch  epochState // the rollback counter, if the protector has one (storedb_epoch.go)
	synced syncSignal // wakes the sync group after a synchronizable change (storedb_sync.go)

	agent *agentLink // the agent holding the passcode classes, or nil (storedb_agent.go)

	// For tests: reads of sync_items outside the writer (isSynced), and a
	// function set and delete call just before they queue their write.
	syncReads          atomic.Int64
	beforeWriteForTest func()
}

// describe names the store for messages: app "NAME" or access group "NAME".
func (v *storeDB) describe() string {
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

// get reads the value of (service, key) and appends it to dst (GetItem
// passes nil, AppendItem the caller's buffer). On an error it returns dst
// unchanged.
func (v *storeDB) get(ctx context.Context, service, key string, dst []byte) ([]byte, error) {
	id := v.meta.ItemID(service, key)
	class, blob, err := v.db.GetProven(ctx, v.meta.ServiceTag(service), id)
	if err != nil {
		return dst, storageErr(err)
	}
	if class&authFlag != 0 {
		return v.getAuthenticated(ctx, service, key, class, blob, dst) // auth.go
	}
	for retried := false; ; retried = true {
		cs := v.readClasses()
		aead, err := cs.aead(Accessibility(class))
		if errors.Is(err, ErrNoPasscode) && !retried {
			// WhenPasscodeSet items exist only while a passcode is set (its
			// removal deletes them in the same transaction). Unless another
			// process set a passcode since this handle read its keys, a
			// stored one is a damaged class byte.
			if g, gerr := v.currentGeneration(ctx); gerr == nil && g != cs.generation {
				cs.release()
				if err := v.refreshKeys(ctx, cs); err != nil {
					return dst, err
				}
				continue
			}
			cs.release()
			return dst, fmt.Errorf("%w: an item of a passcode-only class in a store without a passcode", ErrCorrupt)
		}
		if err != nil {
			cs.release()
			if errors.Is(err, ErrLocked) && v.agent != nil {
				return v.agentGet(ctx, service, key, Accessibility(class), blob, dst)
			}
			return dst, err
		}
		out, err := record.OpenAppend(dst, aead, blob, record.ItemAD(v.id, service, key, class))
		record.ZeroAEAD(aead)
		cs.release()
		if err == nil {
			return out, nil
		}
		// A value that does not authenticate may be one re-sealed by a
		// passcode change this handle has not seen: check the generation
		// now, off the fast path.
		if retried || !Accessibility(class).needsPasscode() {
			return dst, fmt.Errorf("%w: the value does not authenticate", ErrCorrupt)
		}
		if g, err := v.currentGeneration(ctx); err != nil || g == cs.generation {
			return dst, fmt.Errorf("%w: the value does not authenticate", ErrCorrupt)
		}
		if err := v.refreshKeys(ctx, cs); err != nil {
			return dst, err
		}
		if class, blob, err = v.db.GetProven(ctx, v.meta.ServiceTag(service), id); err != nil {
			return dst, storageErr(err)
		}
	}
}

// set writes a local item. If the item is synchronizable, which set
// checks inside the write's own commit, nothing is written and set fails
// with errSynced: the caller writes it through setSynced, which
// leaves a tombstone for its group.
func (v *storeDB) set(ctx context.Context, service, key string, class Accessibility, value string) error {
	v.writeMu.RLock()
	defer v.writeMu.RUnlock()
	if err := v.advanceEpoch(ctx); err != nil {
		return err
	}
	for retried := false; ; retried = true {
		cs := v.readClasses()
		aead, err := cs.aead(class)
		if err != nil {
			cs.release()
			if errors.Is(err, ErrLocked) && v.agent != nil {
				return v.agentSet(ctx, service, key, class, value)
			}
			return err
		}
		it := v.item(service, key, class, aead, []byte(value))
		record.ZeroAEAD(aead)
		cs.release()
		v.beforeWrite()
		if !class.needsPasscode() {
			return storageErr(v.db.PutLocal(ctx, it, nil))
		}
		// Sealed under a key of cs's generation: commit only while that
		// generation is current (storedb_generation.go).
		err = v.db.PutLocal(ctx, it, generationCond(cs.generation))
		if !errors.Is(err, storage.ErrCondFailed) {
			return storageErr(err)
		}
		if retried {
			return fmt.Errorf("%w: the store's keys changed twice during one write", ErrLocked)
		}
		if err := v.refreshKeys(ctx, cs); err != nil {
			return err
		}
	}
}

// item seals one item for storage: its index id, service tag, sealed name
// and value sealed under its class key aead.
func (v *storeDB) item(service, key string, class Accessibility, aead cipher.AEAD, value []byte) *storage.Item {
	id := v.meta.ItemID(service, key)
	return &storage.Item{
		ID:    id,
		Svc:   v.meta.ServiceTag(service),
		Class: uint8(class),
		Name:  v.meta.SealName(id, service, key),
		Value: record.Seal(aead, value, record.ItemAD(v.id, service, key, uint8(class))),
	}
}

// delete deletes a local item; a synchronizable one is left as it is,
// and delete fails with errSynced (the caller deletes it through
// deleteSynced).
func (v *storeDB) delete(ctx context.Context, service, key string) error {
	if err := v.advanceEpoch(ctx); err != nil {
		return err
	}
	v.beforeWrite()
	return storageErr(v.db.DeleteLocal(ctx, v.meta.ServiceTag(service), v.meta.ItemID(service, key)))
}

func (v *storeDB) has(ctx context.Context, service, key string) (bool, error) {
	_, _, err := v.db.GetProven(ctx, v.meta.ServiceTag(service), v.meta.ItemID(service, key))
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, storageErr(err)
}

func (v *storeDB) keys(ctx context.Context, service string) ([]string, error) {
	// Every row, not a search for the service's: see storedb_absent.go.
	out := []string{}
	err := v.db.View(ctx, func(tx *storage.Tx) error {
		return v.walkNames(tx, func(s, k string) error {
			if s == service {
				out = append(out, k)
			}
			return nil
		})
	})
	if err != nil {
		return nil, storageErr(err)
	}
	return out, nil
}

func (v *storeDB) close() error {
	err := v.db.Close()
	v.closeAgent()
	v.wipe()
	return storageErr(err)
}

// wipe drops every key of the handle: the device key, the metadata keys
// and the class keys (wiped once no reader uses them).
func (v *storeDB) wipe() {
	v.deviceBuf.Free()
	v.device = nil
	if v.meta != nil {
		v.meta.Wipe()
	}
	v.publish(newClassSet(nil, false, 0))
}

// storageErr maps the storage layer's errors onto the public sentinels.
// Package storage wraps every error in one of its own sentinels and quotes
// no stored byte, so the mapping is complete; anything else passing through
// here is already one of this package's errors or the context's.
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
	case errors.Is(err, storage.ErrDiskFull):
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	case errors.Is(err, storage.ErrIO), errors.Is(err, storage.ErrTooNew):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
