package walcheck

import (
	"bytes"
	"encoding/binary"
)

// The WAL format's constants (see the package doc).
const (
	HeaderSize      = 32
	FrameHeaderSize = 24
	magicLittle     = 0x377f0682 // checksum words little-endian
	magicBig        = 0x377f0683 // checksum words big-endian
	version         = 3007000
)

// Report is what Check found in a WAL.
type Report struct {
	// HeaderValid: the header has a known magic, version and page size and
	// its checksum matches. SQLite ignores a WAL whose header is not valid.
	HeaderValid bool
	// PageSize is the header's page size (0 when the header is not valid).
	PageSize int
	// Frames is how many whole frames the file holds; bytes after the last
	// whole frame are ignored, as SQLite ignores them.
	Frames int
	// Valid is how many frames SQLite replays: those up to and including
	// the last commit frame before the first frame it rejects.
	Valid int
	// Commits is how many transactions (commit frames) those hold.
	Commits int
	// FirstBad is the index (from 0) of the first frame SQLite rejects, or
	// -1 when it accepts every whole frame.
	FirstBad int
	// Damaged: the file was provably damaged after it was written —
	// replaying the Valid prefix would drop a transaction that had been
	// made durable (see the package doc for the proof).
	Damaged bool
	// LostCommits counts the commit frames after FirstBad that still check
	// against their predecessor: transactions the prefix would drop, at
	// least. Only meaningful when Damaged.
	LostCommits int
}

// PrefixLen is the length in bytes of the part of the file SQLite would
// replay: the header and the Valid frames.
func (r Report) PrefixLen() int64 {
	if !r.HeaderValid {
		return 0
	}
	return HeaderSize + int64(r.Valid)*int64(FrameHeaderSize+r.PageSize)
}

// DroppedFrames is how many whole frames lie beyond the replayed prefix.
func (r Report) DroppedFrames() int { return r.Frames - r.Valid }

// Check reads wal, the content of a -wal file, and reports what SQLite
// would replay from it and whether the rest is provably damage rather than
// a torn tail. It never fails: bytes that are not a WAL at all are a
// Report with HeaderValid false and nothing valid.
func Check(wal []byte) Report {
	r := Report{FirstBad: -1}
	if len(wal) < HeaderSize {
		return r
	}
	h := parseHeader(wal)
	if h.valid() {
		r.HeaderValid = true
		r.PageSize = int(h.pageSize)
		fs := frameScan{wal: wal, big: h.magic == magicBig, pageSize: int(h.pageSize), salt1: h.salt1, salt2: h.salt2, seed: h.stored}
		r.Frames = fs.frames()
		r.Valid, r.Commits, r.FirstBad = fs.validPrefix()
		if r.FirstBad >= 0 {
			r.Damaged, r.LostCommits = fs.damageAfter(r.FirstBad)
		}
		return r
	}
	// SQLite ignores the whole file. That is a torn header only if the
	// header was never made durable; two transactions written after it
	// under its salts prove it was. The damaged field may be the magic or
	// the page size, so try each byte order and page size: a false match
	// needs two 64-bit checksums to agree by chance.
	for _, big := range []bool{false, true} {
		for ps := 512; ps <= 65536; ps *= 2 {
			fs := frameScan{wal: wal, big: big, pageSize: ps, salt1: h.salt1, salt2: h.salt2, seed: h.stored}
			if n := fs.frames(); n >= 2 {
				if damaged, lost := fs.damageAfter(0); damaged {
					r.Frames, r.FirstBad, r.Damaged, r.LostCommits = n, 0, true, lost
					return r
				}
			}
		}
	}
	r.FirstBad = 0
	return r
}

type header struct {
	magic, version, pageSize, ckptSeq, salt1, salt2 uint32
	stored                                          [2]uint32
	computed                                        [2]uint32
}

func parseHeader(b []byte) header {
	be := binary.BigEndian
	h := header{
		magic: be.Uint32(b[0:]), version: be.Uint32(b[4:]), pageSize: be.Uint32(b[8:]),
		ckptSeq: be.Uint32(b[12:]), salt1: be.Uint32(b[16:]), salt2: be.Uint32(b[20:]),
		stored: [2]uint32{be.Uint32(b[24:]), be.Uint32(b[28:])},
	}
	h.computed = checksum(h.magic == magicBig, [2]uint32{}, b[:24])
	return h
}

func (h header) valid() bool {
	return (h.magic == magicLittle || h.magic == magicBig) &&
		h.version == version &&
		h.pageSize >= 512 && h.pageSize <= 65536 && h.pageSize&(h.pageSize-1) == 0 &&
		h.computed == h.stored
}

// frameScan reads the frames of one WAL under one reading of its header.
type frameScan struct {
	wal          []byte
	big          bool
	pageSize     int
	salt1, salt2 uint32
	seed         [2]uint32 // the header's stored checksum: frame 0's seed
}

func (fs *frameScan) frames() int {
	return (len(fs.wal) - HeaderSize) / (FrameHeaderSize + fs.pageSize)
}

// frame returns frame i's header fields.
func (fs *frameScan) frame(i int) (pgno, commit uint32, saltsOK bool, stored [2]uint32) {
	off := HeaderSize + i*(FrameHeaderSize+fs.pageSize)
	b := fs.wal[off : off+FrameHeaderSize]
	be := binary.BigEndian
	pgno, commit = be.Uint32(b[0:]), be.Uint32(b[4:])
	saltsOK = be.Uint32(b[8:]) == fs.salt1 && be.Uint32(b[12:]) == fs.salt2
	stored = [2]uint32{be.Uint32(b[16:]), be.Uint32(b[20:])}
	return pgno, commit, saltsOK, stored
}

// prevStored is the checksum frame i chains from: frame i-1's stored
// checksum, or the header's for frame 0.
func (fs *frameScan) prevStored(i int) [2]uint32 {
	if i == 0 {
		return fs.seed
	}
	_, _, _, s := fs.frame(i - 1)
	return s
}

// ok reports whether frame i is valid against its predecessor's stored
// checksum: SQLite's test for a frame (salts, a non-zero page number, the
// checksum), with the chain taken from what is stored rather than
// recomputed, so that it can be applied after a bad frame.
func (fs *frameScan) ok(i int) bool {
	pgno, _, saltsOK, stored := fs.frame(i)
	if !saltsOK || pgno == 0 {
		return false
	}
	off := HeaderSize + i*(FrameHeaderSize+fs.pageSize)
	c := checksum(fs.big, fs.prevStored(i), fs.wal[off:off+8])
	c = checksum(fs.big, c, fs.wal[off+FrameHeaderSize:off+FrameHeaderSize+fs.pageSize])
	return c == stored
}

// validPrefix is SQLite's recovery: frames are accepted while valid, and
// the replayed prefix ends at the last commit frame among them.
func (fs *frameScan) validPrefix() (valid, commits, firstBad int) {
	n := fs.frames()
	firstBad = -1
	for i := range n {
		if !fs.ok(i) {
			firstBad = i
			break
		}
		if _, commit, _, _ := fs.frame(i); commit != 0 {
			valid = i + 1
			commits++
		}
	}
	return valid, commits, firstBad
}

// damageAfter applies the package doc's rule to the frames from f, the
// first frame SQLite rejects: damage is proven when two commit frames of
// different transactions at or after f are joined by an unbroken chain of
// valid frames (the first may be f itself, by its header, if its salts are
// current). Requiring the chain keeps stale frames that an earlier crash
// left beyond the end of the WAL from counting: the first of them no
// longer checks against the frame now before it.
func (fs *frameScan) damageAfter(f int) (damaged bool, lostCommits int) {
	var (
		anchored   bool   // a commit frame at or after f, joined to frame j by valid frames
		apg, asize uint32 // that commit frame's page and size
		padding    bool   // frames since the anchor are all copies of it so far
		ref        = -1   // a valid frame of the anchor's transaction, to compare pages with; -1 for none
	)
	for j := f; j < fs.frames(); j++ {
		pgno, commit, saltsOK, _ := fs.frame(j)
		isCommit := saltsOK && commit != 0
		if !fs.ok(j) {
			anchored = j == f && isCommit
			apg, asize, padding, ref = pgno, commit, true, -1
			if anchored {
				lostCommits++
			}
			continue
		}
		if !isCommit {
			padding = false
			continue
		}
		// SQLite may pad a commit to a sector boundary with copies of its
		// last frame: those are the same transaction. A copy has the same
		// page, size and content; one-frame transactions that rewrite the
		// same page (small item writes) have the same page and size but
		// another content. The content of a damaged anchor cannot be
		// compared: the first copy after it becomes the reference.
		if anchored && padding && pgno == apg && commit == asize && (ref < 0 || fs.samePage(ref, j)) {
			if ref < 0 {
				ref = j
			}
			continue
		}
		lostCommits++
		if anchored {
			damaged = true
		}
		anchored, apg, asize, padding, ref = true, pgno, commit, true, j
	}
	return damaged, lostCommits
}

// samePage reports whether frames i and j carry the same page bytes.
func (fs *frameScan) samePage(i, j int) bool {
	page := func(k int) []byte {
		off := HeaderSize + k*(FrameHeaderSize+fs.pageSize) + FrameHeaderSize
		return fs.wal[off : off+fs.pageSize]
	}
	return bytes.Equal(page(i), page(j))
}

// checksum continues SQLite's WAL checksum s over b (a multiple of 8
// bytes), reading 32-bit words in the byte order the magic selects.
func checksum(big bool, s [2]uint32, b []byte) [2]uint32 {
	var order binary.ByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	s0, s1 := s[0], s[1]
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return [2]uint32{s0, s1}
}
