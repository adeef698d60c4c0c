package storage

import (
	"sync"
	"sync/atomic"
)

// The row cache: a read of an unchanged database without SQLite.
//
// A Get through SQLite costs a read transaction, whose start and end each
// take and drop a lock on the wal-index (two fcntl calls), plus an fstat
// and usually a pread of the leaf: around 20 µs on the project's VM, most
// of a GetItem (docs/BENCHMARKS.md, "Reads (issue 16)"). The row cache
// keeps the rows that Get has read, sealed as they are stored (ids, MACs
// and ciphertext: nothing in it is in clear), together with the wal-index
// header (walindex.go) under which they were read. A Get whose header
// reads the same is answered from the cache; any commit by any connection
// of any process changes the header, and the next Get that sees the new
// header finds the cache empty. It is the rule by which SQLite keeps its
// own page cache between read transactions, applied to whole rows.
//
// Filling is careful about commits that race the read: a row goes into
// the cache under a header read before its read transaction began, and
// only if the header still reads the same after the transaction ended, so
// that no commit can have come between. Rows kept under an older header
// are dropped, all at once, by the first put under the new one.
//
// The cache holds at most rowCacheBytes of rows per DB. Values stay
// sealed in it: each GetItem still opens the value with its class key.

// rowCacheBytes bounds the rows one DB keeps: 10,000 items at Expo's
// 2,048-byte limit for a value, sealed, with their ids, fit. A full cache
// takes no more rows until a commit empties it: in a store larger than
// the cache, evicting rows to admit others would turn the cache over on
// every read, and the heap with it (garbage, and spans left part-used by
// the rows dropped at random: 42 MiB in use for 24 MiB of rows, measured
// at 1,000,000 items), for no better hit rate on random reads.
const rowCacheBytes = 24 << 20

// rowOverhead is what a cached row costs beyond its bytes: the map entry
// and the row's slice headers.
const rowOverhead = 96

// cachedRow is one items row as Get returns it.
type cachedRow struct {
	id, svc []byte
	class   uint8
	value   []byte
}

func (r *cachedRow) size() int { return len(r.id) + len(r.svc) + len(r.value) + rowOverhead }

// rowCache is one DB's cache. Every method is safe to call concurrently,
// and each is a no-op (a miss) once close has run.
type rowCache struct {
	shm *shmMap // nil or without memory: the cache stays empty

	mu     sync.RWMutex
	closed bool
	ver    walHeader // the header the rows were read under
	rows   map[int64]*cachedRow
	bytes  int

	hits atomic.Int64 // reads answered from the cache, for tests
}

func newRowCache(shm *shmMap) *rowCache {
	return &rowCache{shm: shm, rows: map[int64]*cachedRow{}}
}

// header reads the wal-index header now; ok is false when there is none
// to trust, and then nothing may be cached.
func (c *rowCache) header() (walHeader, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return walHeader{}, false
	}
	return c.shm.header()
}

// get returns the row in slot if the database has not changed since it
// was read. The header is read under the lock that close takes, so that
// the mapping is not unmapped under the read.
func (c *rowCache) get(slot int64) (*cachedRow, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed || len(c.rows) == 0 {
		return nil, false
	}
	h, ok := c.shm.header()
	if !ok || h != c.ver {
		return nil, false
	}
	r, ok := c.rows[slot]
	if ok {
		c.hits.Add(1)
	}
	return r, ok
}

// room reports whether a row of n bytes read under before could be kept:
// a full cache of that header takes none (see rowCacheBytes), and its
// reader need not build the row.
func (c *rowCache) room(before walHeader, n int) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return before != c.ver || c.bytes+n+rowOverhead <= rowCacheBytes
}

// put keeps row, read from slot by a read transaction that began after
// before was read. The header is read again under the lock: if it still
// reads before, no commit came between the transaction and now, and the
// row is the current one.
func (c *rowCache) put(slot int64, before walHeader, row *cachedRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if now, ok := c.shm.header(); !ok || now != before {
		return // a commit came between: the row may already be old
	}
	if before != c.ver {
		// The rows were read under an older header: start over.
		clear(c.rows)
		c.ver, c.bytes = before, 0
	}
	c.add(slot, row)
}

// advance carries the cache over a commit of this DB's writer, so that a
// process that writes keeps its rows: before is the header read inside
// the transaction, after BEGIN IMMEDIATE took the write lock (so no other
// commit could come before this one's). The commit incremented the
// header's change counter by one; if the header now reads exactly one
// more, no other commit followed it, and the rows are those of before
// with batch's writes applied. Anything else (another commit after it,
// the wal-index rebuilt, which starts the counter at zero) leaves the
// cache to be dropped by the next read.
func (c *rowCache) advance(before walHeader, batch []*op) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || (len(c.rows) > 0 && c.ver != before) {
		return
	}
	after, ok := c.shm.header()
	if !ok || after[walChange] != before[walChange]+1 || after[walChange] == 0 {
		return
	}
	if len(c.rows) == 0 {
		c.bytes = 0
	}
	for _, o := range batch {
		if o.skip != nil {
			continue // its condition failed: not written
		}
		if o.put == nil {
			c.remove(o.slot)
			continue
		}
		// The Item's slices, not copies: Put's caller hands them over
		// (items.go), and copying 2 KB per write cost 13% of the CPU of
		// 64 writers.
		it := o.put
		c.add(o.slot, &cachedRow{id: it.ID, svc: it.Svc, class: it.Class, value: it.Value})
	}
	c.ver = after
}

// add keeps row in slot if there is room. The caller holds mu.
func (c *rowCache) add(slot int64, row *cachedRow) {
	c.remove(slot)
	n := row.size()
	if c.bytes+n > rowCacheBytes {
		return // full (see rowCacheBytes)
	}
	c.rows[slot] = row
	c.bytes += n
}

// remove drops the row in slot. The caller holds mu.
func (c *rowCache) remove(slot int64) {
	if old, ok := c.rows[slot]; ok {
		c.bytes -= old.size()
		delete(c.rows, slot)
	}
}

// close empties the cache for good; after it returns, no get reads the
// mapping.
func (c *rowCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	clear(c.rows)
	c.bytes = 0
}
