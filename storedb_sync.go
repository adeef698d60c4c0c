package securestore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
)

// Synchronizable items on the local side (issue 15, docs/SYNC.md). An item
// set with Options.Synchronizable is stored exactly as a local one (the
// items table, sealed under its class key, read by the same GetItem path)
// and gets a row in sync_items, written in the same transaction, that
// records its version and whether the change still waits to be pushed.
// Package syncgroup moves those changes to and from etcd through
// SyncReplica (sync_replica.go).

// metaSyncClock is the store's Lamport clock for synchronizable changes:
// u64 big-endian, raised past every version this store made or applied.
const metaSyncClock = "sync_clock"

// metaSyncDevice is this store's device id in its sync group (set by the
// group on join); the sync rows of local changes made before it was set
// say "" and are pushed under it.
const metaSyncDevice = "sync_device"

func readClockTx(tx *storage.Tx) (uint64, error) {
	return readCounterTx(tx, metaSyncClock, "the sync clock")
}

func writeClockTx(tx *storage.Tx, c uint64) error {
	return tx.SetMeta(metaSyncClock, binary.BigEndian.AppendUint64(nil, c))
}

// tick advances the clock past seen and returns the new value. It never
// wraps: at 2^64-1 the clock is exhausted and tick fails, changing
// nothing (Apply refuses remote versions far enough ahead that an honest
// group never gets there).
func tickTx(tx *storage.Tx, seen uint64) (uint64, error) {
	c, err := readClockTx(tx)
	if err != nil {
		return 0, err
	}
	c = max(c, seen)
	if c == math.MaxUint64 {
		return 0, fmt.Errorf("%w: the sync clock is exhausted", ErrCorrupt)
	}
	c++
	return c, writeClockTx(tx, c)
}

// errSynced is what a plain write (set, delete) fails with, writing
// nothing, when its commit finds the item synchronizable: the caller then
// writes through setSynced or deleteSynced, which leave a tombstone.
var errSynced = storage.ErrSynced

// isSynced reports whether the item (service, key) has a sync row, read
// in a transaction of its own. Plain writes do not need it: set and
// delete check it inside their commit (errSynced). It is for the
// rare writes that refuse a synchronizable item (requireAuthentication).
func (v *storeDB) isSynced(ctx context.Context, service, key string) (bool, error) {
	v.syncReads.Add(1)
	ok, err := v.db.IsSynchronizable(ctx, v.meta.ItemID(service, key))
	return ok, storageErr(err)
}

// setSynced writes an item whose sync state must change with it, in one
// transaction: a synchronizable write (keep true), or a plain write over a
// synchronizable item (keep false), which takes the item out of its group:
// the group gets a tombstone, the item stays here as a local one.
func (v *storeDB) setSynced(ctx context.Context, service, key string, class Accessibility, value string, keep bool) error {
	v.writeMu.RLock()
	defer v.writeMu.RUnlock()
	if err := v.advanceEpoch(ctx); err != nil {
		return err
	}
	for retried := false; ; retried = true {
		cs := v.readClasses()
		aead, err := cs.aead(class)
		var it *storage.Item
		cond := generationCond(cs.generation)
		viaAgent := errors.Is(err, ErrLocked) && v.agent != nil
		switch {
		case viaAgent:
			// The agent holds the class key: it seals, as in set.
			cs.release()
			b := []byte(value)
			var gen uint64
			it, gen, err = v.agentSealItem(ctx, service, key, class, b)
			clear(b)
			if err != nil {
				return err
			}
			cond = generationCond(gen)
		case err != nil:
			cs.release()
			return err
		default:
			it = v.item(service, key, class, aead, []byte(value))
			record.ZeroAEAD(aead)
			cs.release()
		}
		err = v.db.Update(ctx, func(tx *storage.Tx) error {
			if class.needsPasscode() {
				if ok, err := tx.Holds(cond); err != nil || !ok {
					return errors.Join(err, storage.ErrCondFailed)
				}
			}
			row, err := tx.SyncRow(it.ID)
			if errors.Is(err, storage.ErrNotFound) {
				if !keep {
					return tx.PutItem(it)
				}
				row = storage.SyncRow{ID: it.ID, Svc: it.Svc}
			} else if err != nil {
				return err
			}
			if !keep && row.Deleted {
				// Out of the group already: a plain write.
				return tx.PutItem(it)
			}
			if err := tx.PutItem(it); err != nil {
				return err
			}
			return v.localChangeTx(tx, &row, it.Name, !keep)
		})
		if !errors.Is(err, storage.ErrCondFailed) {
			if err == nil {
				v.synced.notify()
			}
			return storageErr(err)
		}
		if viaAgent {
			if g, gerr := v.currentGeneration(ctx); gerr == nil {
				v.agentDropStale(ctx, g)
			}
			return fmt.Errorf("%w: the store's keys changed since the agent unlocked it; unlock again", ErrLocked)
		}
		if retried {
			return fmt.Errorf("%w: the store's keys changed twice during one write", ErrLocked)
		}
		if err := v.refreshKeys(ctx, cs); err != nil {
			return err
		}
	}
}

// localChangeTx records a local change of row's item in row: a new
// version from the clock, this device, waiting to be pushed.
func (v *storeDB) localChangeTx(tx *storage.Tx, row *storage.SyncRow, name []byte, deleted bool) error {
	c, err := tickTx(tx, row.Lamport)
	if err != nil {
		return err
	}
	dev, err := tx.Meta(metaSyncDevice)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	row.Name, row.Lamport, row.Device, row.Pending, row.Deleted = name, c, string(dev), true, deleted
	return tx.PutSyncRow(row)
}

// deleteSynced deletes a synchronizable item and leaves its tombstone,
// waiting to be pushed, in the same transaction.
func (v *storeDB) deleteSynced(ctx context.Context, service, key string) error {
	if err := v.advanceEpoch(ctx); err != nil {
		return err
	}
	id, svc := v.meta.ItemID(service, key), v.meta.ServiceTag(service)
	defer v.synced.notify()
	return storageErr(v.db.Update(ctx, func(tx *storage.Tx) error {
		row, err := tx.SyncRow(id)
		if errors.Is(err, storage.ErrNotFound) {
			// Made local again since the caller found it synchronizable
			// (another process's plain write): a plain delete.
			return tx.DeleteItem(svc, id)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteItem(svc, id); err != nil {
			return err
		}
		if row.Deleted {
			return nil
		}
		return v.localChangeTx(tx, &row, v.meta.SealName(id, service, key), true)
	}))
}

// beforeWrite runs the test hook between a plain write's sealing and its
// commit, where another process could make the item synchronizable.
func (v *storeDB) beforeWrite() {
	if v.beforeWriteForTest != nil {
		v.beforeWriteForTest()
	}
}

// syncSignal tells a sync group running in this process that a
// synchronizable change was committed, so that it pushes at once rather
// than at its next poll (which catches other processes' changes).
type syncSignal struct {
	once sync.Once
	ch   chan struct{}
}

func (s *syncSignal) c() chan struct{} {
	s.once.Do(func() { s.ch = make(chan struct{}, 1) })
	return s.ch
}

// notify wakes the waiting sync group, if any, without blocking.
func (s *syncSignal) notify() {
	select {
	case s.c() <- struct{}{}:
	default:
	}
}
