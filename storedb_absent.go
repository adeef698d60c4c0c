package securestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/securestore-go/securestore/internal/storage"
)

// Proving that an item is absent.
//
// A lookup that finds no row is SQLite's search of the items b-tree, which
// trusts the divider keys of interior pages: a damaged one sends the
// search to the wrong leaf, and the item reads as absent with no error. A
// damaged key in a leaf does the same. So before GetItem and HasItem
// answer "not found", the store walks every row (storage.DB.Walk: every
// leaf, in order, without searching) and checks each: keys strictly
// ascending, the sealed name authenticating under the row's id, and the
// row's service tag and id being those of the name inside. Only a walk in
// which every row checks and none is the item proves the miss; anything
// else is ErrCorrupt. The walk costs one name decryption per item, only
// on a miss (docs/BENCHMARKS.md has the numbers).
//
// Keys uses the same walk, so it lists an item exactly when GetItem finds
// it, and fails with ErrCorrupt where GetItem would.

// walkNames calls fn with the service and key of every item of the store
// in tx's snapshot, after checking the row as described above.
func (v *storeDB) walkNames(tx *storage.Tx, fn func(service, key string) error) error {
	return tx.Walk(func(n *storage.Named) error {
		service, key, err := v.meta.OpenName(n.ID, n.Name)
		if err != nil {
			return fmt.Errorf("%w: an item name does not authenticate", ErrCorrupt)
		}
		if !bytes.Equal(n.Svc, v.meta.ServiceTag(service)) || !bytes.Equal(n.ID, v.meta.ItemID(service, key)) {
			return fmt.Errorf("%w: an item is stored under another item's key", ErrCorrupt)
		}
		return fn(service, key)
	})
}

// getProven is get's lookup for when the fast lookup found no row: in one
// snapshot it searches again (another process may have written the item
// meanwhile) and, if the search misses, proves the miss with a walk. It
// returns storage.ErrNotFound only for a proven miss.
func (v *storeDB) getProven(ctx context.Context, service, key string) (class uint8, blob []byte, err error) {
	svc, id := v.meta.ServiceTag(service), v.meta.ItemID(service, key)
	err = v.db.View(ctx, func(tx *storage.Tx) error {
		class, blob, err = tx.Get(svc, id)
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		werr := v.walkNames(tx, func(s, k string) error {
			if s == service && k == key {
				return fmt.Errorf("%w: the items b-tree's search missed a stored item", ErrCorrupt)
			}
			return nil
		})
		if werr != nil {
			return werr
		}
		return storage.ErrNotFound
	})
	return class, blob, err
}
