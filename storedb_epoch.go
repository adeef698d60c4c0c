package securestore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/protector"
)

// Detecting a rollback of the whole store with a monotonic counter.
//
// Every record of an older copy of the store authenticates, so nothing in
// the files can tell it from the current store. A protector that holds
// monotonic counters outside the files (the TPM's NV counters) can: the
// store keeps an epoch in its meta table, and the protector a counter
// that follows it.
//
//   - The first write of each process session (each storeDB) advances the
//     epoch in its own transaction, and only then increments the counter.
//     So the epoch is never behind the counter: a crash between the two
//     leaves the epoch one ahead, which is no alarm. SQLite's write lock
//     orders the epochs of concurrent sessions, and every increment comes
//     after its epoch: no other lock is needed.
//   - Open reads the counter, then the epoch: an epoch below the counter
//     means the files are older than the device's counter: ErrCorrupt.
//
// What it does not detect: a rollback to a copy taken within the current
// session (after its one increment); and nothing at all without a counter.

// rollbackCounter is a protector's monotonic counter (protector.Counter:
// the TPM protector's NV counters); a protector that has one is used.
type rollbackCounter = protector.Counter

// Meta rows of the rollback counter (docs/FORMAT.md).
const (
	metaEpoch   = "epoch"   // uint64, big-endian
	metaCounter = "counter" // the protector's blob of the store's counter
)

// epochState is a storeDB's rollback counter, if its protector has one.
type epochState struct {
	counter rollbackCounter // nil: none
	scope   protector.Scope
	once    sync.Mutex // held while the first write advances the epoch
	done    bool
}

// counterFor returns the protector name's counter, or nil.
func counterFor(name string) rollbackCounter {
	p, err := defaultProtectors().Lookup(name)
	if err != nil {
		return nil
	}
	c, _ := p.(rollbackCounter)
	return c
}

// checkEpoch is Open's check: with a counter, the store's epoch must not
// be below it.
func (v *storeDB) checkEpoch(ctx context.Context, scope protector.Scope) error {
	v.epoch.counter, v.epoch.scope = counterFor(v.protector), scope
	if v.epoch.counter == nil {
		return nil
	}
	var blob []byte
	err := v.db.View(ctx, func(tx *storage.Tx) error {
		var err error
		blob, err = tx.Meta(metaCounter)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return nil // no counter yet: the first write creates it
	}
	if err != nil {
		return storageErr(err)
	}
	pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	c, err := v.epoch.counter.ReadCounter(pctx, scope, blob)
	cancel()
	if err != nil {
		return fmt.Errorf("read the store's rollback counter: %w", err)
	}
	e, err := v.readEpoch(ctx) // after the counter: see above
	if err != nil {
		return err
	}
	if e < c {
		return fmt.Errorf("%w: %s is older than this device's counter for it (epoch %d, counter %d): "+
			"the store's files were replaced by an older copy", ErrCorrupt, v.db.Path(), e, c)
	}
	return nil
}

func (v *storeDB) readEpoch(ctx context.Context) (uint64, error) {
	var e uint64
	err := v.db.View(ctx, func(tx *storage.Tx) error {
		b, err := tx.Meta(metaEpoch)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(b) != 8 {
			return fmt.Errorf("%w: the store's epoch is %d bytes, not 8", ErrCorrupt, len(b))
		}
		e = binary.BigEndian.Uint64(b)
		return nil
	})
	return e, storageErr(err)
}

// advanceEpoch runs before the first write of this storeDB: it advances
// the epoch, then the counter (creating the counter on the first use).
func (v *storeDB) advanceEpoch(ctx context.Context) error {
	if v.epoch.counter == nil {
		return nil
	}
	v.epoch.once.Lock()
	defer v.epoch.once.Unlock()
	if v.epoch.done {
		return nil
	}
	c := v.epoch.counter
	var blob []byte
	err := v.db.View(ctx, func(tx *storage.Tx) error {
		var err error
		blob, err = tx.Meta(metaCounter)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return storageErr(err)
	}
	if blob == nil {
		pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
		blob, err = c.CreateCounter(pctx, v.epoch.scope)
		cancel()
		if err != nil {
			return fmt.Errorf("create the store's rollback counter: %w", err)
		}
	}
	// The epoch first, in one transaction with the counter's blob (kept
	// if another session recorded one meanwhile).
	err = v.db.Update(ctx, func(tx *storage.Tx) error {
		stored, err := tx.Meta(metaCounter)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			if err := tx.SetMeta(metaCounter, blob); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			blob = stored
		}
		var e uint64
		if b, err := tx.Meta(metaEpoch); err == nil && len(b) == 8 {
			e = binary.BigEndian.Uint64(b)
		} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		// The counter may be ahead of the epoch: a protector's new counter
		// need not start at 0 (the TPM's starts at 1). Starting from the
		// larger of the two keeps "epoch ≥ counter" true after this
		// session's one increment, whatever the counter's start and
		// whatever other processes' sessions did meanwhile (this
		// transaction reads the epoch the last of them committed).
		pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
		cur, err := c.ReadCounter(pctx, v.epoch.scope, blob)
		cancel()
		if err != nil {
			return fmt.Errorf("read the store's rollback counter: %w", err)
		}
		return tx.SetMeta(metaEpoch, binary.BigEndian.AppendUint64(nil, max(e, cur)+1))
	})
	if err != nil {
		return storageErr(err)
	}
	pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	_, err = c.IncrementCounter(pctx, v.epoch.scope, blob)
	cancel()
	if err != nil {
		return fmt.Errorf("advance the store's rollback counter: %w", err)
	}
	v.epoch.done = true
	return nil
}
