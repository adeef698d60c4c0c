package securestore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/securestore-go/securestore/internal/storage"
)

// The key generation of a store: a counter in the meta table that every
// passcode set, change or removal raises, as it gives the passcode classes
// fresh keys. A handle records the generation its class keys belong to.
// Every write of a passcode class commits only if the generation is still
// that one (storage.PutIf checks it inside the write's own transaction);
// a read whose value does not authenticate checks it then. A handle whose
// keys are stale (another handle or process changed the passcode) drops
// them, takes what the device key alone now unwraps, and the write or read
// fails as that state says: ErrLocked when the class now needs a passcode
// this handle does not have, ErrNoPasscode for WhenPasscodeSetThisDeviceOnly
// once the passcode is gone.

// metaGeneration is the meta setting of the key generation: u64 big-endian;
// absent means 0 (stores made before generations existed).
const metaGeneration = "key_generation"

func encodeGeneration(g uint64) []byte {
	if g == 0 {
		return nil
	}
	return binary.BigEndian.AppendUint64(nil, g)
}

func readGenerationTx(tx *storage.Tx) (uint64, error) {
	return readCounterTx(tx, metaGeneration, "the key generation")
}

// readCounterTx reads a meta counter stored as 8 big-endian bytes: 0 when
// it was never written; a value of another length is damage, named what.
func readCounterTx(tx *storage.Tx, name, what string) (uint64, error) {
	b, err := tx.Meta(name)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case len(b) != 8:
		return 0, fmt.Errorf("%w: %s has %d bytes, want 8", ErrCorrupt, what, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// generationCond is the precondition of a write sealed under class keys of
// generation g.
func generationCond(g uint64) *storage.Cond {
	return &storage.Cond{Name: metaGeneration, Want: encodeGeneration(g)}
}

// refreshKeys replaces the stale class set with the one the store's current
// state gives this handle without a passcode: the keys the device key
// alone unwraps, at the current generation. A passcode this handle had
// unlocked with no longer opens the new keys' wrapping (or was removed),
// so the passcode classes are gone until Unlock. If the handle's keys
// changed meanwhile (an Unlock in this process), they are kept.
func (v *storeDB) refreshKeys(ctx context.Context, stale *classSet) error {
	st, err := v.readPasscodeState(ctx)
	if err != nil {
		return err
	}
	if st.generation == stale.generation {
		return nil
	}
	next, err := v.deviceClassSet(st)
	if err != nil {
		return err
	}
	v.publishIf(stale, next)
	return nil
}

// currentGeneration reads the store's key generation.
func (v *storeDB) currentGeneration(ctx context.Context) (uint64, error) {
	var g uint64
	err := v.db.View(ctx, func(tx *storage.Tx) error {
		var err error
		g, err = readGenerationTx(tx)
		return err
	})
	return g, storageErr(err)
}
