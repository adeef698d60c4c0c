package walcheck

import (
	"bytes"
	"testing"
)

var (
	wLittle = testWAL{pageSize: 512, salt1: 0x01020304, salt2: 0xcafef00d}
	wBig    = testWAL{big: true, pageSize: 1024, salt1: 9, salt2: 0x5a5a5a5a}
)

// five transactions of 3, 1, 2, 3, 1 frames: frames 0-2, 3, 4-5, 6-8, 9.
var fiveTx = txPages(5, 3, 1, 2)

func TestCheckClean(t *testing.T) {
	for _, w := range []testWAL{wLittle, wBig} {
		wal, _ := w.build(fiveTx)
		r := Check(wal)
		if !r.HeaderValid || r.Frames != 10 || r.Valid != 10 || r.Commits != 5 || r.FirstBad != -1 || r.Damaged {
			t.Errorf("big=%v: %+v; want all 10 frames, 5 commits, no damage", w.big, r)
		}
		if r.PrefixLen() != int64(len(wal)) {
			t.Errorf("PrefixLen %d, file %d", r.PrefixLen(), len(wal))
		}
	}
}

func TestCheckEmptyAndShort(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, 31), make([]byte, 32), bytes.Repeat([]byte{0xff}, 5000)} {
		if r := Check(b); r.Damaged || r.Valid != 0 {
			t.Errorf("%d bytes: %+v", len(b), r)
		}
	}
	w, _ := wLittle.build(nil) // a header and no frames
	if r := Check(w); !r.HeaderValid || r.Frames != 0 || r.Damaged {
		t.Errorf("header only: %+v", r)
	}
}

// Cutting a clean WAL anywhere leaves what a crash can leave: never damage,
// and the prefix is every transaction wholly inside the cut.
func TestCheckTruncatedAnywhere(t *testing.T) {
	wal, ends := wLittle.build(fiveTx)
	for cut := 0; cut <= len(wal); cut++ {
		r := Check(wal[:cut])
		if r.Damaged {
			t.Fatalf("cut at %d: damaged", cut)
		}
		want := int64(HeaderSize)
		for _, e := range ends {
			if e <= cut {
				want = int64(e)
			}
		}
		if cut >= HeaderSize && r.PrefixLen() != want {
			t.Fatalf("cut at %d: prefix %d, want %d", cut, r.PrefixLen(), want)
		}
	}
}

type damage struct {
	name string
	fn   func(w testWAL, wal []byte)
	// validFrames SQLite replays afterwards; damaged: whether Check proves it.
	validFrames int
	damaged     bool
}

func flip(off int) func(testWAL, []byte) {
	return func(_ testWAL, wal []byte) { wal[off] ^= 0x10 }
}

func flipIn(frame, inFrame int) func(testWAL, []byte) {
	return func(w testWAL, wal []byte) { wal[w.frameOff(frame)+inFrame] ^= 0x01 }
}

func zeroFrame(frame int) func(testWAL, []byte) {
	return func(w testWAL, wal []byte) {
		clear(wal[w.frameOff(frame):w.frameOff(frame+1)])
	}
}

func swapFrames(a, b int) func(testWAL, []byte) {
	return func(w testWAL, wal []byte) {
		fa := bytes.Clone(wal[w.frameOff(a):w.frameOff(a+1)])
		copy(wal[w.frameOff(a):], wal[w.frameOff(b):w.frameOff(b+1)])
		copy(wal[w.frameOff(b):], fa)
	}
}

// garbleFrom overwrites the frames from i on with noise: a torn write.
func garbleFrom(frame int) func(testWAL, []byte) {
	return func(w testWAL, wal []byte) {
		for o := w.frameOff(frame); o < len(wal); o++ {
			wal[o] = byte(o*131 + 7)
		}
	}
}

func TestCheckDamage(t *testing.T) {
	cases := []damage{
		{"page byte, first tx", flipIn(1, FrameHeaderSize+3), 0, true},
		{"page byte, second tx (one frame, its commit)", flipIn(3, FrameHeaderSize+100), 3, true},
		{"page byte, third tx", flipIn(4, FrameHeaderSize+1), 4, true},
		{"frame page number", flipIn(0, 3), 0, true},
		{"commit field of a commit frame", flipIn(2, 7), 0, true},
		{"salt of a frame", flipIn(4, 9), 4, true},
		{"stored checksum of a frame", flipIn(4, 17), 4, true},
		{"stored checksum of a commit frame", flipIn(5, 23), 4, true},
		{"zeroed frame, first tx", zeroFrame(1), 0, true},
		{"zeroed commit frame of the second tx", zeroFrame(3), 3, true},
		{"swapped frames within a tx", swapFrames(0, 1), 0, true},
		{"swapped frames across txs", swapFrames(2, 4), 0, true},
		{"header page byte, magic", flip(3), 0, true},
		{"header salt", flip(17), 0, false}, // no frame matches the salts any more: not provable
		{"header checksum", flip(26), 0, true},
		{"header page size", flip(10), 0, true},
		// Damage in the fourth of five transactions is followed by one
		// transaction only: not provable... except through its own
		// commit and the fifth's.
		{"page byte, fourth tx", flipIn(7, FrameHeaderSize+2), 6, true},
		// In the last transaction it looks exactly like a torn write.
		{"page byte, last tx", flipIn(9, FrameHeaderSize+2), 9, false},
		{"zeroed last frame", zeroFrame(9), 9, false},
		{"torn last tx", garbleFrom(9), 9, false},
		{"torn from the fourth tx's middle", garbleFrom(7), 6, false},
	}
	for _, w := range []testWAL{wLittle, wBig} {
		clean, _ := w.build(fiveTx)
		for _, c := range cases {
			wal := bytes.Clone(clean)
			c.fn(w, wal)
			r := Check(wal)
			if r.Damaged != c.damaged || r.Valid != c.validFrames {
				t.Errorf("big=%v, %s: damaged=%v valid=%d (%+v); want damaged=%v valid=%d",
					w.big, c.name, r.Damaged, r.Valid, r, c.damaged, c.validFrames)
			}
		}
	}
}

// A damaged frame in the fourth of five transactions: the fourth's commit
// still checks, and the fifth follows it, so the fourth was durable.
// Damage in the commit frame of the fourth itself leaves only the fifth.
func TestCheckDamageNextToLast(t *testing.T) {
	clean, _ := wLittle.build(fiveTx)
	wal := bytes.Clone(clean)
	wal[wLittle.frameOff(8)+FrameHeaderSize+5] ^= 1 // the fourth's commit frame, page data
	if r := Check(wal); !r.Damaged {
		t.Errorf("commit frame of the 4th tx: %+v; its header still says commit, and the 5th follows", r)
	}
	wal = bytes.Clone(clean)
	clear(wal[wLittle.frameOff(8):wLittle.frameOff(9)]) // zeroed: no header to go by
	if r := Check(wal); r.Damaged {
		t.Errorf("zeroed commit frame of the 4th tx, one tx after: %+v; not provable", r)
	}
}

// Two crashes in one WAL generation can leave frames of an unfinished
// transaction beyond the end, with the current salts and valid chains among
// themselves. They must not read as damage.
func TestCheckStaleFramesAreNotDamage(t *testing.T) {
	w := wLittle
	// Crash 1: tx X (6 frames) was being written; its second frame tore.
	base := txPages(2, 2)
	x := append(txPages(2, 2), txPages(1, 6)...)
	walX, _ := w.build(x)
	torn := bytes.Clone(walX)
	for o := w.frameOff(5); o < w.frameOff(6); o++ {
		torn[o] ^= 0x55
	}
	// After recovery (prefix: 4 frames) tx Y (1 frame) commits over X's
	// first frame, then crash 2 tears tx W (2 frames) whose commit lands
	// before X's commit.
	yw := append(base, [][]byte{{'y'}}, [][]byte{{'w', 1}, {'w', 2}})
	walYW, _ := w.build(yw)
	file := bytes.Clone(torn)
	copy(file, walYW)
	// W's first frame tore in its page only, so that W's commit frame
	// still checks against it: W's commit and X's stale one are both
	// valid commit frames after the break, but no chain joins them.
	for o := w.frameOff(5) + FrameHeaderSize; o < w.frameOff(6); o++ {
		file[o] ^= 0x33
	}
	r := Check(file)
	if r.Damaged || r.Valid != 5 {
		t.Errorf("stale frames after two crashes: %+v; want valid=5, not damaged", r)
	}
}

// SQLite can pad a commit to a sector with copies of its commit frame.
func TestCheckPaddingIsOneTransaction(t *testing.T) {
	w := wLittle
	txs := txPages(3, 2)
	wal, _ := w.build(txs)
	// Append two copies of the last commit frame, chained as SQLite chains
	// them, then tear the last transaction's first frame.
	last := bytes.Clone(wal[w.frameOff(5):w.frameOff(6)])
	for range 2 {
		prev := wal[len(wal)-(FrameHeaderSize+w.pageSize):]
		s := checksum(false, [2]uint32{be32(prev[16:]), be32(prev[20:])}, last[:8])
		s = checksum(false, s, last[FrameHeaderSize:])
		f := bytes.Clone(last)
		put32(f[16:], s[0])
		put32(f[20:], s[1])
		wal = append(wal, f...)
	}
	if r := Check(wal); r.Damaged || r.Valid != 8 || r.Commits != 5 {
		t.Fatalf("padded clean WAL: %+v", r)
	}
	wal[w.frameOff(4)+FrameHeaderSize] ^= 1
	if r := Check(wal); r.Damaged || r.Valid != 4 {
		t.Errorf("torn last tx with padding: %+v; want valid=4, not damaged", r)
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
