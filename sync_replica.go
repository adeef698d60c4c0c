package securestore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
)

// ErrStaleChange reports a remote change older than the item's version
// here that arrived at a newer etcd revision: a replayed record. Nothing
// was changed.
var ErrStaleChange = errors.New("a replayed change older than the local version")

// ErrBadSyncRecord reports a remote change that cannot be applied as it
// is: its version is more than maxClockJump past the local clock (a
// forged version meant to exhaust the clock, after which the item could
// never change again). Nothing was changed. Package syncgroup reports it
// as its ErrBadRecord.
var ErrBadSyncRecord = errors.New("a record does not authenticate")

// maxClockJump bounds how far past the local clock a remote version may
// be. Honest devices raise their clocks past every version they see, so
// they stay within a few versions of each other; 2^32 leaves room for any
// real history while a forged version can raise the clock at most that
// far per record, keeping the 2^64 space out of reach.
const maxClockJump = 1 << 32

// SyncReplica is one store's side of a sync group: what package syncgroup
// uses to push the store's synchronizable changes and to apply the
// group's. Applications use package syncgroup, not this type.
//
// Values cross this API in clear, inside the process that has the store
// open: syncgroup seals them under the group key before they leave.
type SyncReplica struct {
	s *Store
	v *storeDB
}

// SyncReplica returns the sync side of the app's own store (accessGroup
// "") or of an access group's.
func (s *Store) SyncReplica(ctx context.Context, accessGroup string) (*SyncReplica, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("securestore: sync: %w", err)
	}
	v, err := s.storeFor(ctx, accessGroup)
	if err != nil {
		return nil, fmt.Errorf("securestore: sync: %w", err)
	}
	return &SyncReplica{s: s, v: v}, nil
}

// SyncChange is one change of a synchronizable item: a value or, with
// Deleted, a tombstone. Its version is (Lamport, Device); of two changes
// to one item the higher version wins, on every device (docs/SYNC.md).
type SyncChange struct {
	Service, Key string
	Class        Accessibility
	Value        []byte // nil when Deleted; whoever receives it wipes it
	Deleted      bool
	Lamport      uint64
	Device       string
	Rev          int64 // the etcd mod revision: last seen (Pending), or the change's (Apply)
}

// Newer reports whether c's version is above (lamport, device)'s.
func (c *SyncChange) Newer(lamport uint64, device string) bool {
	return cmp.Or(cmp.Compare(c.Lamport, lamport), cmp.Compare(c.Device, device)) > 0
}

// op runs fn with the store's shared lock held, failing once it is closed.
func (r *SyncReplica) op(ctx context.Context, fn func() error) error {
	r.s.mu.RLock()
	defer r.s.mu.RUnlock()
	if err := r.s.check(ctx); err != nil {
		return fmt.Errorf("securestore: sync: %w", err)
	}
	if err := fn(); err != nil {
		return fmt.Errorf("securestore: sync (%s): %w", r.v.describe(), err)
	}
	return nil
}

// StoreID is the store's identity ("app:NAME" or "group:NAME").
func (r *SyncReplica) StoreID() string { return r.v.id }

// Setting returns the group setting name (ErrNotFound when absent) and
// SetSetting stores it: syncgroup's own state, in the store's meta table
// under "sync." + name, in clear (secrets go through SealLocal first).
func (r *SyncReplica) Setting(ctx context.Context, name string) (val []byte, err error) {
	err = r.op(ctx, func() error {
		return storageErr(r.v.db.View(ctx, func(tx *storage.Tx) error {
			val, err = tx.Meta("sync." + name)
			return err
		}))
	})
	return val, err
}

// SetSetting stores settings (name → value; a nil value deletes the
// setting) in one transaction.
func (r *SyncReplica) SetSetting(ctx context.Context, settings map[string][]byte) error {
	return r.op(ctx, func() error {
		return storageErr(r.v.db.Update(ctx, func(tx *storage.Tx) error {
			for name, val := range settings {
				var err error
				if val == nil {
					err = tx.DeleteMeta("sync." + name)
				} else {
					err = tx.SetMeta("sync."+name, val)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}))
	})
}

// SealLocal seals a group secret for storage on this device, under a key
// derived from the device key (so held by its protector); label binds it
// to its use. OpenLocal opens it.
func (r *SyncReplica) SealLocal(label string, secret []byte) []byte {
	k := keys.SyncLocalKey(r.v.device, r.v.id)
	defer keys.Wipe(k)
	aead, _ := record.NewAEAD(k)
	defer record.ZeroAEAD(aead)
	return record.Seal(aead, secret, []byte("securestore sync local v1\x00"+r.v.id+"\x00"+label))
}

// OpenLocal opens a secret sealed by SealLocal with the same label.
func (r *SyncReplica) OpenLocal(label string, blob []byte) ([]byte, error) {
	k := keys.SyncLocalKey(r.v.device, r.v.id)
	defer keys.Wipe(k)
	aead, _ := record.NewAEAD(k)
	defer record.ZeroAEAD(aead)
	pt, err := record.Open(aead, blob, []byte("securestore sync local v1\x00"+r.v.id+"\x00"+label))
	if err != nil {
		return nil, fmt.Errorf("%w: a sync secret (%s) does not authenticate", ErrCorrupt, label)
	}
	return pt, nil
}

// SetDevice records this store's device id in its group; local changes
// are versioned under it from now on.
func (r *SyncReplica) SetDevice(ctx context.Context, device string) error {
	return r.op(ctx, func() error {
		return storageErr(r.v.db.Update(ctx, func(tx *storage.Tx) error { return tx.SetMeta(metaSyncDevice, []byte(device)) }))
	})
}

// device resolves a sync row's device: "" is this one.
func resolveDevice(row string, self []byte) string {
	if row == "" {
		return string(self)
	}
	return row
}

// Pending returns the changes waiting to be pushed whose class key this
// handle holds, and how many more wait for Unlock.
func (r *SyncReplica) Pending(ctx context.Context) (out []SyncChange, locked int, err error) {
	err = r.op(ctx, func() error {
		cs := r.v.readClasses()
		defer cs.release()
		return storageErr(r.v.db.View(ctx, func(tx *storage.Tx) error {
			return r.eachSyncRow(tx, true, func(row storage.SyncRow, ch SyncChange) error {
				service, key := ch.Service, ch.Key
				if !row.Deleted {
					class, blob, err := tx.Get(row.Svc, row.ID)
					if err != nil {
						return fmt.Errorf("sync row without its item: %w", err)
					}
					ch.Class = Accessibility(class)
					aead, err := cs.aead(Accessibility(class))
					if errors.Is(err, ErrLocked) && r.v.agent != nil {
						// The agent holds the class key (agent --sync
						// runs sync through it). A value that does not
						// open there is under keys newer than the
						// agent's: it waits for the next unlock.
						ch.Value, err = r.v.agentOpenValue(ctx, service, key, ch.Class, blob)
						if errors.Is(err, ErrCorrupt) {
							err = ErrLocked
						}
						if errors.Is(err, ErrLocked) {
							locked++
							return nil
						}
						if err != nil {
							return err
						}
						out = append(out, ch)
						return nil
					}
					if errors.Is(err, ErrLocked) {
						locked++
						return nil
					}
					if err != nil {
						return err
					}
					ch.Value, err = record.Open(aead, blob, record.ItemAD(r.v.id, service, key, class))
					record.ZeroAEAD(aead)
					if err != nil {
						return fmt.Errorf("%w: the value does not authenticate", ErrCorrupt)
					}
				}
				out = append(out, ch)
				return nil
			})
		}))
	})
	return out, locked, err
}

// PendingCount counts the changes waiting to be pushed, and of those the
// ones whose class key is not held here (nor by the agent): what `sync
// status` shows. Unlike Pending, it opens no value and asks the agent to
// open none, so a status query decrypts nothing and leaves no open in the
// agent's access log.
func (r *SyncReplica) PendingCount(ctx context.Context) (pending, locked int, err error) {
	var agentHas map[Accessibility]bool // asked once, and only if needed
	err = r.op(ctx, func() error {
		cs := r.v.readClasses()
		defer cs.release()
		return storageErr(r.v.db.View(ctx, func(tx *storage.Tx) error {
			rows, err := tx.SyncRows(true)
			if err != nil {
				return err
			}
			for _, row := range rows {
				pending++
				if row.Deleted {
					continue
				}
				stored, _, err := tx.Get(row.Svc, row.ID)
				if err != nil {
					return fmt.Errorf("sync row without its item: %w", err)
				}
				class := Accessibility(stored)
				if !class.valid() {
					return fmt.Errorf("%w: unknown class %d", ErrCorrupt, stored)
				}
				if cs.has[class] {
					continue
				}
				if agentHas == nil {
					agentHas = map[Accessibility]bool{}
					if r.v.agent != nil {
						agentHas = r.v.agentClasses(ctx)
					}
				}
				if !agentHas[class] {
					locked++
				}
			}
			return nil
		}))
	})
	return pending, locked, err
}

// eachSyncRow calls fn with each sync row (only the pending ones if
// pending) and its change without a value: names opened, the device
// resolved against this store's own id.
func (r *SyncReplica) eachSyncRow(tx *storage.Tx, pending bool, fn func(storage.SyncRow, SyncChange) error) error {
	self, err := tx.Meta(metaSyncDevice)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	rows, err := tx.SyncRows(pending)
	if err != nil {
		return err
	}
	for _, row := range rows {
		service, key, err := r.v.meta.OpenName(row.ID, row.Name)
		if err != nil {
			return fmt.Errorf("%w: a sync row's name does not authenticate", ErrCorrupt)
		}
		ch := SyncChange{Service: service, Key: key, Deleted: row.Deleted, Lamport: row.Lamport,
			Device: resolveDevice(row.Device, self), Rev: row.Rev}
		if err := fn(row, ch); err != nil {
			return err
		}
	}
	return nil
}

// Pushed records that ch (as Pending returned it) is the group's copy at
// etcd revision rev. A newer local change made since stays pending, and
// will be pushed against rev.
func (r *SyncReplica) Pushed(ctx context.Context, ch *SyncChange, rev int64) error {
	return r.op(ctx, func() error {
		id := r.v.meta.ItemID(ch.Service, ch.Key)
		return storageErr(r.v.db.Update(ctx, func(tx *storage.Tx) error {
			row, err := tx.SyncRow(id)
			if err != nil {
				return err
			}
			self, err := tx.Meta(metaSyncDevice)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			row.Rev = max(row.Rev, rev)
			if row.Lamport == ch.Lamport && resolveDevice(row.Device, self) == ch.Device {
				row.Pending, row.Device = false, ch.Device
			}
			return tx.PutSyncRow(&row)
		}))
	})
}

// Apply applies remote changes, each at its etcd revision ch.Rev, in one
// transaction: each change that wins over the item's version here
// (docs/SYNC.md, "Conflicts") is written. errs[i] says why changes[i] was
// not applied: nil when it was, or lost to a newer version (a pending
// local change that beats it stays pending, now against ch.Rev);
// ErrLocked when its class key is locked here (the caller keeps it for
// later); ErrStaleChange for a replayed older change; ErrCorrupt for a
// change no device may make. err is a failure of the whole batch, which
// then changed nothing.
func (r *SyncReplica) Apply(ctx context.Context, changes []*SyncChange) (errs []error, err error) {
	errs = make([]error, len(changes))
	err = r.op(ctx, func() error {
		r.v.writeMu.RLock()
		defer r.v.writeMu.RUnlock()
		// Seal every value first, outside the transaction.
		items := make([]*storage.Item, len(changes))
		viaAgent := make([]bool, len(changes)) // sealed by the agent, under its keys' generation agentGens[i]
		agentGens := make([]uint64, len(changes))
		cs := r.v.readClasses()
		generation := cs.generation
		for i, ch := range changes {
			if !ch.Deleted && (!ch.Class.valid() || ch.Class.ThisDeviceOnly()) {
				errs[i] = fmt.Errorf("%w: a synchronizable change of class %d", ErrCorrupt, int(ch.Class))
				continue
			}
			if ch.Deleted {
				continue
			}
			aead, err := cs.aead(ch.Class)
			if errors.Is(err, ErrLocked) && r.v.agent != nil {
				// The agent holds the class key: it seals the value,
				// as SetItem does through it.
				items[i], agentGens[i], errs[i] = r.v.agentSealItem(ctx, ch.Service, ch.Key, ch.Class, ch.Value)
				viaAgent[i] = errs[i] == nil
				continue
			}
			if err != nil {
				errs[i] = err
				continue
			}
			items[i] = r.v.item(ch.Service, ch.Key, ch.Class, aead, ch.Value)
			record.ZeroAEAD(aead)
		}
		cs.release()
		return storageErr(r.v.db.Update(ctx, func(tx *storage.Tx) error {
			if ok, err := tx.Holds(generationCond(generation)); err != nil {
				return err
			} else if !ok {
				// A passcode change re-keyed the store meanwhile: apply
				// nothing sealed under the old keys.
				for i := range items {
					if items[i] != nil && !viaAgent[i] && changes[i].Class.needsPasscode() {
						items[i], errs[i] = nil, fmt.Errorf("%w: the store's keys changed", ErrLocked)
					}
				}
			}
			for i := range items {
				if items[i] == nil || !viaAgent[i] {
					continue
				}
				// Sealed by the agent: its keys must be the store's now.
				if ok, err := tx.Holds(generationCond(agentGens[i])); err != nil {
					return err
				} else if !ok {
					items[i], errs[i] = nil, fmt.Errorf("%w: the store's keys changed since the agent unlocked it", ErrLocked)
				}
			}
			self, err := tx.Meta(metaSyncDevice)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			for i, ch := range changes {
				if errs[i] != nil {
					continue
				}
				if errs[i], err = r.applyTx(tx, ch, items[i], self); err != nil {
					return err
				}
			}
			return nil
		}))
	})
	return errs, err
}

// applyTx applies one change (it, the sealed item, nil for a delete)
// inside tx. rejected says why the change was not applied; err is a
// storage failure.
func (r *SyncReplica) applyTx(tx *storage.Tx, ch *SyncChange, it *storage.Item, self []byte) (rejected, err error) {
	id, svc := r.v.meta.ItemID(ch.Service, ch.Key), r.v.meta.ServiceTag(ch.Service)
	row, err := tx.SyncRow(id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		row = storage.SyncRow{ID: id, Svc: svc}
	case err != nil:
		return nil, err
	}
	clock, err := readClockTx(tx)
	if err != nil {
		return nil, err
	}
	if ch.Lamport == math.MaxUint64 || ch.Lamport > clock && ch.Lamport-clock > maxClockJump {
		return fmt.Errorf("%w: version %d from %s is too far past the local clock %d",
			ErrBadSyncRecord, ch.Lamport, ch.Device, clock), nil
	}
	switch {
	case !ch.Newer(row.Lamport, resolveDevice(row.Device, self)):
		if ch.Rev <= row.Rev {
			return nil, nil // an old event, already superseded here
		}
		if ch.Lamport == row.Lamport && ch.Device == resolveDevice(row.Device, self) {
			row.Rev = ch.Rev // our own change echoed, or re-sealed under a new group key
			return nil, tx.PutSyncRow(&row)
		}
		if !row.Pending {
			return fmt.Errorf("%w: version %d from %s at revision %d, local version %d",
				ErrStaleChange, ch.Lamport, ch.Device, ch.Rev, row.Lamport), nil
		}
		row.Rev = ch.Rev // the local change wins: push it over this revision
		return nil, tx.PutSyncRow(&row)
	}
	if _, err := tickTx(tx, ch.Lamport); err != nil {
		return nil, err
	}
	if ch.Deleted {
		err = tx.DeleteItem(svc, id)
	} else {
		err = tx.PutItem(it)
	}
	if err != nil {
		return nil, err
	}
	row.Name, row.Lamport, row.Device, row.Rev, row.Pending, row.Deleted =
		r.v.meta.SealName(id, ch.Service, ch.Key), ch.Lamport, ch.Device, ch.Rev, false, ch.Deleted
	return nil, tx.PutSyncRow(&row)
}

// SyncState is the local sync state of one synchronizable item, for
// tests and status: its version, revision and flags, no name or value.
type SyncState struct {
	Lamport          uint64
	Device           string
	Rev              int64
	Pending, Deleted bool
}

// State returns the sync state of (service, key); ErrNotFound when it is
// not synchronizable here.
func (r *SyncReplica) State(ctx context.Context, service, key string) (st SyncState, err error) {
	err = r.op(ctx, func() error {
		return storageErr(r.v.db.View(ctx, func(tx *storage.Tx) error {
			row, err := tx.SyncRow(r.v.meta.ItemID(service, key))
			st = SyncState{row.Lamport, row.Device, row.Rev, row.Pending, row.Deleted}
			return err
		}))
	})
	return st, err
}

// Synchronizable returns every synchronizable item here (tombstones
// included) as changes without values: the items a device re-seals when
// its group's key rotates, and what tests compare across devices.
func (r *SyncReplica) Synchronizable(ctx context.Context) (out []SyncChange, err error) {
	err = r.op(ctx, func() error {
		return storageErr(r.v.db.View(ctx, func(tx *storage.Tx) error {
			return r.eachSyncRow(tx, false, func(_ storage.SyncRow, ch SyncChange) error {
				out = append(out, ch)
				return nil
			})
		}))
	})
	return out, err
}

// Defer keeps a remote record that cannot be applied yet (its class key is
// locked here), sealed as it arrived, under the group's key for it.
func (r *SyncReplica) Defer(ctx context.Context, key string, sealed []byte, rev int64) error {
	return r.op(ctx, func() error {
		return storageErr(r.v.db.Update(ctx, func(tx *storage.Tx) error {
			return tx.PutInbox(&storage.InboxEntry{Key: key, Record: sealed, Rev: rev})
		}))
	})
}

// SyncDeferred is a record Defer kept: the group's key for it, the record
// as it arrived, and its etcd revision.
type SyncDeferred struct {
	Key    string
	Record []byte
	Rev    int64
}

// Deferred returns the records Defer kept, oldest revision first.
func (r *SyncReplica) Deferred(ctx context.Context) (out []SyncDeferred, err error) {
	err = r.op(ctx, func() error {
		return storageErr(r.v.db.View(ctx, func(tx *storage.Tx) error {
			all, err := tx.Inbox()
			for _, e := range all {
				out = append(out, SyncDeferred(e))
			}
			return err
		}))
	})
	return out, err
}

// Undefer drops a kept record once it is applied (or superseded).
func (r *SyncReplica) Undefer(ctx context.Context, key string) error {
	return r.op(ctx, func() error {
		return storageErr(r.v.db.Update(ctx, func(tx *storage.Tx) error { return tx.DeleteInbox(key) }))
	})
}

// Locked reports whether the store is locked (a passcode is set and
// WhenUnlocked keys are absent): then the sync group defers what it
// cannot apply.
func (r *SyncReplica) Locked() bool { return r.v.classes.Load().locked() }

// Changed returns a channel that receives after a synchronizable change
// is committed through this process's Store (at most one waiting signal;
// changes by other processes are found by polling Pending).
func (r *SyncReplica) Changed() <-chan struct{} { return r.v.synced.c() }
