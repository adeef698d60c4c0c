package storage

// The wal-index header: how a read learns, without a system call, that
// the database has not changed.
//
// In WAL mode SQLite keeps a shared-memory file beside the database, the
// -shm file or wal-index (www.sqlite.org/walformat.html, "The WAL-Index
// Format"). Its first 96 bytes are two copies of a 48-byte header that
// every commit rewrites, in any process: it carries a change counter that
// each commit increments (iChange), the last valid frame of the WAL
// (mxFrame), the database size, the checksum of that last frame and the
// WAL's salts, which change whenever the WAL starts over. A commit writes
// copy 1, then copy 0, with a memory barrier between; a reader reads copy
// 0, then copy 1, and trusts them only if they are equal.
//
// SQLite itself relies on this header to keep its page cache across read
// transactions: a read that finds the header unchanged reuses the pages it
// holds, and one that finds it changed drops them all (wal.c,
// walIndexTryHdr's *pChanged). The row cache (rowcache.go) keeps sealed
// rows on exactly the same terms, reading the header through a mapping of
// its own.

// walHeader is one copy of the wal-index header, as twelve native-endian
// words. Two equal walHeaders mean an unchanged database: every commit
// changes iChange, mxFrame and the frame checksum, and a WAL restart the
// salts.
type walHeader [12]uint32

// walChange is the word of the change counter, iChange.
const walChange = 2
