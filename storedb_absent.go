package securestore

import (
	"bytes"
	"fmt"

	"github.com/securestore-go/securestore/internal/storage"
)

// Proving that an item is absent.
//
// A lookup that finds no row is SQLite's search of the items b-tree, which
// trusts the divider keys of interior pages: a damaged one sends the
// search to the wrong leaf, and the item reads as absent with no error. A
// damaged key in a leaf does the same. So before GetItem and HasItem
// answer "not found", storage.DB.GetProven walks every row (every leaf, in
// order, without searching) in the same snapshot: slots strictly
// ascending, each row in its id's slot, none in the item's. Anything else
// is ErrCorrupt. The walk decrypts nothing; it costs a scan of the table,
// once per version of the database: the slots it saw are kept and answer
// later misses until something commits (internal/storage/proof.go;
// docs/BENCHMARKS.md has the numbers).
//
// Keys walks the same way, and also authenticates every row's sealed name
// against its id and service tag, so it lists an item exactly when
// GetItem finds it, and fails with ErrCorrupt where GetItem would.

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
