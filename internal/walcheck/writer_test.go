package walcheck

import "encoding/binary"

// testWAL writes WAL files the way SQLite does, for the tests: a header,
// then each transaction's frames, the last one of each a commit frame.
type testWAL struct {
	big          bool
	pageSize     int
	salt1, salt2 uint32
}

// build returns the WAL holding txs, each a list of page contents (page
// numbers are the position in the list plus one), and the offset where
// each transaction's frames end.
func (w testWAL) build(txs [][][]byte) (wal []byte, ends []int) {
	be := binary.BigEndian
	magic := uint32(magicLittle)
	if w.big {
		magic = magicBig
	}
	hdr := make([]byte, HeaderSize)
	be.PutUint32(hdr[0:], magic)
	be.PutUint32(hdr[4:], version)
	be.PutUint32(hdr[8:], uint32(w.pageSize))
	be.PutUint32(hdr[12:], 7)
	be.PutUint32(hdr[16:], w.salt1)
	be.PutUint32(hdr[20:], w.salt2)
	s := checksum(w.big, [2]uint32{}, hdr[:24])
	be.PutUint32(hdr[24:], s[0])
	be.PutUint32(hdr[28:], s[1])
	wal = hdr
	dbSize := uint32(1)
	for _, tx := range txs {
		for i, page := range tx {
			fh := make([]byte, FrameHeaderSize)
			pgno := uint32(i + 1)
			be.PutUint32(fh[0:], pgno)
			dbSize = max(dbSize, pgno)
			if i == len(tx)-1 {
				be.PutUint32(fh[4:], dbSize)
			}
			be.PutUint32(fh[8:], w.salt1)
			be.PutUint32(fh[12:], w.salt2)
			p := make([]byte, w.pageSize)
			copy(p, page)
			s = checksum(w.big, s, fh[:8])
			s = checksum(w.big, s, p)
			be.PutUint32(fh[16:], s[0])
			be.PutUint32(fh[20:], s[1])
			wal = append(wal, fh...)
			wal = append(wal, p...)
		}
		ends = append(ends, len(wal))
	}
	return wal, ends
}

// frameOff is where frame i starts.
func (w testWAL) frameOff(i int) int { return HeaderSize + i*(FrameHeaderSize+w.pageSize) }

// txPages makes n transactions of sizes[i%len(sizes)] pages each, every page
// distinct.
func txPages(n int, sizes ...int) [][][]byte {
	var txs [][][]byte
	for t := range n {
		var tx [][]byte
		for p := range sizes[t%len(sizes)] {
			tx = append(tx, []byte{byte(t), byte(p), 0xA5, byte(t * p)})
		}
		txs = append(txs, tx)
	}
	return txs
}
