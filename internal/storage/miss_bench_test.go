package storage

import (
	"crypto/sha256"
	"fmt"
	"testing"
)

// BenchmarkGetProvenMiss is what a miss costs: the search, then the walk
// of every row that proves it (GetProven), in a table of n 2 KB items.
func BenchmarkGetProvenMiss(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			d, _ := openTemp(b)
			err := d.Update(ctx, func(tx *Tx) error {
				for i := range n {
					id := sha256.Sum256(fmt.Appendf(nil, "item %d", i))
					if err := tx.PutItem(&Item{ID: id[:], Svc: []byte("svc"), Class: 1, Name: id[:], Value: make([]byte, 2100)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			missing := sha256.Sum256([]byte("not stored"))
			for b.Loop() {
				if _, _, err := d.GetProven(ctx, []byte("svc"), missing[:]); err != ErrNotFound {
					b.Fatal(err)
				}
			}
		})
	}
}
