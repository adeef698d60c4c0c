// Package walcheck reads an SQLite write-ahead log (the "-wal" file) as
// bytes and tells a torn tail, which a crash can leave, from damage, which
// it cannot. Use Check on the file's content; it never changes anything.
//
// # Why SQLite alone is not enough
//
// When SQLite rebuilds its index of a WAL (the first connection after every
// process closed the database, or after a crash), it replays frames from
// the start and stops at the first frame whose checksum fails, keeping the
// frames up to the last commit frame before it. Everything after is treated
// as the torn tail of a write that a power cut interrupted. That is right
// for the end of the file, and wrong for a flipped bit in the middle: the
// transactions after the damaged frame were acknowledged, and replaying a
// prefix silently rolls them back — overwritten values come back, deleted
// items reappear.
//
// # The format (www.sqlite.org/fileformat2.html, "WAL file format")
//
// A 32-byte header: magic 0x377f0682 or 0x377f0683 (the low bit selects
// big-endian checksum words), version 3007000, page size, checkpoint
// sequence, salt-1, salt-2, and a checksum of the first 24 bytes. Then
// frames: a 24-byte frame header (page number; the database size in pages
// after the commit, non-zero only on a transaction's last frame, its
// "commit frame"; salt-1 and salt-2 copied from the WAL header; checksum-1
// and checksum-2) and one page. A frame's checksum runs over its header's
// first 8 bytes and its page, starting from the previous frame's checksum
// (the header's for the first frame). A frame is valid when its salts equal
// the header's and its checksum matches. After a checkpoint SQLite starts
// the WAL over with new salts, so frames left from before have old salts.
//
// # How damage is proven
//
// The checksums chain from the previous frame's STORED checksum. So after a
// frame k whose own checksum fails, frame k+1 can still be checked against
// frame k's stored values, and every frame after that as usual: one bad
// frame does not hide what follows it.
//
// SQLite (synchronous=FULL) fsyncs the WAL at every commit, and the next
// transaction's frames are written only after that fsync returned. A power
// cut can therefore tear only the last transaction: the frames after the
// last commit whose fsync completed. Frames with the current salts that lie
// beyond a commit frame were written after that commit was durable.
//
// Hence the rule. Let f be the first frame SQLite would reject. If, at or
// after f, there are commit frames of two different transactions, each
// with the current salts and each checking against its predecessor's
// stored checksum (f itself counts by its header when its salts are
// current: a torn write cannot leave a current-salt commit header that was
// never written), then the first of those transactions had been made
// durable before the second was written, and f, which precedes its end,
// was durable too. Its checksum fails now: the file was damaged after the
// fact, and replaying the prefix would drop at least one acknowledged
// commit. Check reports that as Damaged.
//
// A header whose own checksum fails makes SQLite ignore the whole WAL. The
// same rule applies: two transactions with the header's salts that check
// against its stored checksum prove the header was durable before them.
//
// # What cannot be proven
//
// A break whose later frames belong to one transaction at most — damage in
// the last transaction — looks exactly like a torn write, and Check accepts
// it as SQLite does. A WAL truncated anywhere, or cut at a frame boundary,
// is a valid shorter WAL: without an anchor outside the file (a counter
// kept elsewhere) it cannot be told from a store that simply never got
// those writes, as a whole-file rollback cannot. Commit frames that repeat
// the previous commit frame's page and size right after it are counted
// once, because SQLite may pad a commit to a sector boundary with copies of
// its last frame: Check errs towards "torn", never towards "damaged".
package walcheck
