package storage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// The row cache must never answer with a row that a commit has replaced,
// whoever made the commit. These tests read an item (so that it is
// cached), change it from elsewhere, and read again.

func cacheHits(d *DB) int64 {
	if c := d.cache.Load(); c != nil {
		return c.hits.Load()
	}
	return 0
}

func valueOf(t *testing.T, d *DB, i int) []byte {
	t.Helper()
	it := item(i)
	_, v, err := d.Get(ctx, it.Svc, it.ID)
	if err != nil {
		t.Fatalf("Get %d: %v", i, err)
	}
	return v
}

func withValue(i int, v string) *Item {
	it := item(i)
	it.Value = []byte(v)
	return it
}

// openAgain opens a second DB on path, as another process would.
func openAgain(t *testing.T, path string) *DB {
	t.Helper()
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func needCache(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the row cache is off on Windows (walindex_other.go)")
	}
}

// A second read of an unchanged database is answered from the cache.
func TestRowCacheHitWhileUnchanged(t *testing.T) {
	needCache(t)
	d, _ := openTemp(t)
	putAll(t, d, 0, 3)
	valueOf(t, d, 1)
	before := cacheHits(d)
	if got := valueOf(t, d, 1); !bytes.Equal(got, item(1).Value) {
		t.Fatalf("cached read: %q", got)
	}
	if cacheHits(d) != before+1 {
		t.Fatalf("the second read of an unchanged database was not a cache hit (%d -> %d)", before, cacheHits(d))
	}
}

// Another DB on the file (as another process would be) commits; the next
// read sees its value, and a deleted item reads as absent.
func TestRowCacheSeesAnotherConnectionsCommit(t *testing.T) {
	needCache(t)
	d, path := openTemp(t)
	other := openAgain(t, path)
	putAll(t, d, 0, 3)
	for round := range 20 {
		valueOf(t, d, 1)
		valueOf(t, d, 1) // cached now
		want := fmt.Sprintf("round %d", round)
		if err := other.Put(ctx, withValue(1, want)); err != nil {
			t.Fatal(err)
		}
		if got := valueOf(t, d, 1); string(got) != want {
			t.Fatalf("round %d: read %q after another connection wrote %q", round, got, want)
		}
	}
	valueOf(t, d, 2)
	it := item(2)
	if err := other.Delete(ctx, it.Svc, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Get(ctx, it.Svc, it.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read after another connection deleted it: %v, want ErrNotFound", err)
	}
}

// The same across processes: a child process commits through its own
// SQLite, and this process's next read sees it.
func TestRowCacheSeesAnotherProcessCommit(t *testing.T) {
	needCache(t)
	if path := os.Getenv("SECURESTORE_TEST_CACHE_WRITER"); path != "" {
		cacheWriterChild(path)
		return
	}
	d, path := openTemp(t)
	putAll(t, d, 0, 3)
	stdin, replies, _ := child(t, "TestRowCacheSeesAnotherProcessCommit", "SECURESTORE_TEST_CACHE_WRITER="+path)
	for round := range 20 {
		valueOf(t, d, 1)
		valueOf(t, d, 1)
		// The child writes "child <round>" and answers once it is durable.
		fmt.Fprintf(stdin, "%d\n", round)
		if line, err := replies.ReadString('\n'); err != nil || line != "ok\n" {
			t.Fatalf("the child said %q, %v", line, err)
		}
		if got, want := string(valueOf(t, d, 1)), fmt.Sprintf("child %d", round); got != want {
			t.Fatalf("round %d: read %q after another process wrote %q", round, got, want)
		}
	}
}

func cacheWriterChild(path string) {
	d, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer d.Close()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		round, _ := strconv.Atoi(in.Text())
		if err := d.Put(ctx, withValue(1, fmt.Sprintf("child %d", round))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ok")
	}
}

// This DB's own writes carry the cache over: the rows it wrote, and those
// it had read, are answered without SQLite after the commit.
func TestRowCacheCarriedOverOwnCommit(t *testing.T) {
	needCache(t)
	d, _ := openTemp(t)
	putAll(t, d, 0, 3)
	valueOf(t, d, 0)
	if err := d.Put(ctx, withValue(1, "new")); err != nil {
		t.Fatal(err)
	}
	it := item(2)
	if err := d.Delete(ctx, it.Svc, it.ID); err != nil {
		t.Fatal(err)
	}
	before := cacheHits(d)
	if got := valueOf(t, d, 1); string(got) != "new" {
		t.Fatalf("read after own write: %q", got)
	}
	if got := valueOf(t, d, 0); !bytes.Equal(got, item(0).Value) {
		t.Fatalf("read of an untouched item: %q", got)
	}
	if cacheHits(d) != before+2 {
		t.Fatalf("reads after this DB's own commits went to SQLite (%d hits, want %d)", cacheHits(d)-before, 2)
	}
	if _, _, err := d.Get(ctx, it.Svc, it.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read after own delete: %v, want ErrNotFound", err)
	}
}

// A commit by another connection right after this DB's own (before the
// writer reads the header back) stops the carry-over: the change counter
// then reads two more, and a row the other connection replaced must not
// be served from the cache.
func TestRowCacheNotCarriedOverAnotherCommit(t *testing.T) {
	needCache(t)
	d, path := openTemp(t)
	other := openAgain(t, path)
	putAll(t, d, 0, 3)
	valueOf(t, d, 1) // cached, with its first value
	w := d.writer.Load()
	w.testOnlyAfterCommit = func() {
		w.testOnlyAfterCommit = nil
		if err := other.Put(ctx, withValue(1, "other's")); err != nil {
			t.Error(err)
		}
	}
	if err := d.Put(ctx, withValue(0, "mine")); err != nil {
		t.Fatal(err)
	}
	if got := string(valueOf(t, d, 1)); got != "other's" {
		t.Fatalf("read %q: the cache was carried over a commit that was not this DB's", got)
	}
	if got := string(valueOf(t, d, 0)); got != "mine" {
		t.Fatalf("own write read back as %q", got)
	}
}

// A read whose transaction saw a commit that came after the header was
// read is not kept: the header then reads differently.
func TestRowCachePutRefusedAfterACommit(t *testing.T) {
	needCache(t)
	d, path := openTemp(t)
	other := openAgain(t, path)
	putAll(t, d, 0, 3)
	valueOf(t, d, 0) // starts the cache
	c := d.cache.Load()
	before, ok := c.header()
	if !ok {
		t.Fatal("no wal-index header")
	}
	if err := other.Put(ctx, withValue(1, "newer")); err != nil {
		t.Fatal(err)
	}
	c.put(1, before, &cachedRow{id: item(1).ID, svc: item(1).Svc, class: 1, value: []byte("stale")})
	c.mu.RLock()
	_, kept := c.rows[1]
	c.mu.RUnlock()
	if kept {
		t.Fatal("a row read under a header that has changed since was kept")
	}
	if got := string(valueOf(t, d, 1)); got != "newer" {
		t.Fatalf("read %q, want the other connection's value", got)
	}
}

// The cache stays within its bound however many rows are read.
func TestRowCacheBounded(t *testing.T) {
	needCache(t)
	d, _ := openTemp(t)
	big := bytes.Repeat([]byte{7}, 64<<10)
	n := rowCacheBytes/len(big) + 20
	for i := range n {
		it := item(i)
		it.Value = big
		if err := d.Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		valueOf(t, d, i)
	}
	c := d.cache.Load()
	c.mu.RLock()
	defer c.mu.RUnlock()
	total := 0
	for _, r := range c.rows {
		total += r.size()
	}
	if total != c.bytes || c.bytes > rowCacheBytes || len(c.rows) == 0 {
		t.Fatalf("%d rows of %d bytes (accounted %d), bound %d", len(c.rows), total, c.bytes, rowCacheBytes)
	}
}
