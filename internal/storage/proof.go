package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
)

// Proving misses once per version of the database.
//
// A search that finds no row is trusted only after a walk of every leaf
// of the items b-tree, in the same snapshot, has shown the table well
// formed and the slot absent (GetProven). That walk reads the whole
// table: done on every miss, a miss at 10,000 items cost about 100 ms.
//
// The proof connection does the walk once per version of the database and
// keeps what it proved: the sorted list of every slot in the table. A
// later miss in a snapshot of the same version is answered from that list.
// The version is SQLite's PRAGMA data_version of the proof connection,
// which changes whenever another connection, of this process or another,
// has committed since the connection last read. The proof connection is a
// reader (query_only): it never commits itself, so an unchanged
// data_version means no commit at all, and the snapshot it reads now
// holds exactly the rows the walk saw. The list is only ever checked
// against a search done in the same snapshot as the data_version it is
// compared with (one read transaction), so a write between them cannot
// pair a fresh search with a stale list.
//
// The list costs 8 bytes per item, held only after a miss; it is replaced
// (not grown) when the database changes.
type missProof struct {
	mu      sync.Mutex
	path    string
	dsn     string
	r       reader
	version driver.Stmt // PRAGMA data_version
	closed  bool

	valid  bool
	at     int64   // data_version the slots were walked at
	slots  []int64 // every slot in the table, ascending
	walks  int     // how many walks were done, for tests
	cached int     // how many misses the kept list answered, for tests
}

func newMissProof(path string) *missProof {
	return &missProof{path: path, dsn: readerDSN(path)}
}

// get is GetProven's second step: in one read transaction, search for
// slot again; if still missing, prove the miss from the kept list, walking
// the table first if the database changed since the list was made.
func (p *missProof) get(ctx context.Context, svc, id []byte, slot int64) (class uint8, value []byte, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, nil, fmt.Errorf("%w (%s)", ErrClosed, filepath.Base(p.path))
	}
	if p.r.conn == nil {
		if err := p.open(); err != nil {
			return 0, nil, classify(p.path, err)
		}
	}
	tx, err := p.r.conn.(driver.ConnBeginTx).BeginTx(ctx, driver.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, nil, classify(p.path, err)
	}
	defer tx.Rollback()
	class, value, err = p.r.getSlot(ctx, p.path, svc, id, slot)
	if !errors.Is(err, ErrNotFound) {
		return class, value, err
	}
	v, err := p.dataVersion(ctx)
	if err != nil {
		return 0, nil, err
	}
	if !p.valid || v != p.at {
		p.valid = false
		slots, err := p.walk(ctx, p.slots[:0])
		if err != nil {
			p.slots = nil
			return 0, nil, err
		}
		p.valid, p.at, p.slots = true, v, slots
		p.walks++
	} else {
		p.cached++
	}
	if _, found := slices.BinarySearch(p.slots, slot); found {
		return 0, nil, fmt.Errorf("%w: %s: the search of the items b-tree missed a stored row", ErrCorrupt, p.path)
	}
	return 0, nil, ErrNotFound
}

func (p *missProof) open() error {
	if err := p.r.open(p.dsn); err != nil {
		return err
	}
	s, err := p.r.conn.Prepare(`PRAGMA data_version`)
	if err != nil {
		p.r.close()
		return err
	}
	p.version = s
	return nil
}

func (p *missProof) dataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := queryEach(ctx, p.version, nil, 1, func(vals []driver.Value) error {
		return intCol{"data_version", &v}.Scan(vals[0])
	})
	return v, classify(p.path, err)
}

// walk appends every slot to slots, in b-tree order, checking what
// proveAbsent checks: slots strictly ascending, each row in its id's
// slot. It reads no value.
func (p *missProof) walk(ctx context.Context, slots []int64) ([]int64, error) {
	s, err := p.r.conn.Prepare(`SELECT slot, substr(id, 1, 8) FROM items ORDER BY slot`)
	if err != nil {
		return nil, classify(p.path, err)
	}
	defer s.Close()
	var slot int64
	var head slotHead
	err = queryEach(ctx, s, nil, 2, func(vals []driver.Value) error {
		if err := (intCol{"slot", &slot}).Scan(vals[0]); err != nil {
			return err
		}
		head.Scan(vals[1])
		switch {
		case len(slots) > 0 && slot <= slots[len(slots)-1]:
			return fmt.Errorf("%w: %s: the items b-tree is out of order", ErrCorrupt, p.path)
		case !head.ok || head.slot != slot:
			return fmt.Errorf("%w: %s: a row is in another item's slot", ErrCorrupt, p.path)
		}
		slots = append(slots, slot)
		return nil
	})
	if err != nil {
		return nil, classify(p.path, err)
	}
	return slots, nil
}

func (p *missProof) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.version != nil {
		p.version.Close()
		p.version = nil
	}
	p.r.close()
	p.slots = nil
}

// queryEach runs s with args and calls fn with each row's n columns.
func queryEach(ctx context.Context, s driver.Stmt, args []driver.NamedValue, n int, fn func([]driver.Value) error) error {
	rows, err := s.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]driver.Value, n)
	for {
		err := rows.Next(vals)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
}
