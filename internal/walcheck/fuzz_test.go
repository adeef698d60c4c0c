package walcheck

import (
	"bytes"
	"testing"
)

// FuzzWALCheck: Check never panics on any bytes; a WAL the writer made is
// read back whole; cut anywhere it is never "damaged" and its prefix is
// exactly the transactions wholly inside the cut.
func FuzzWALCheck(f *testing.F) {
	clean, _ := wLittle.build(fiveTx)
	f.Add(clean, uint8(5), uint8(3), uint16(700), false)
	f.Add([]byte{}, uint8(1), uint8(1), uint16(0), true)
	f.Add(bytes.Repeat([]byte{0x37, 0x7f, 0x06, 0x82}, 300), uint8(3), uint8(2), uint16(100), true)
	f.Fuzz(func(t *testing.T, raw []byte, nTx, txSize uint8, cut uint16, big bool) {
		Check(raw) // must not panic

		w := testWAL{big: big, pageSize: 512, salt1: uint32(cut) * 2654435761, salt2: uint32(nTx)}
		txs := txPages(int(nTx%8)+1, int(txSize%4)+1, 1, 2)
		for i, tx := range txs { // page content from raw, so that it varies
			for j := range tx {
				if k := i*7 + j; k < len(raw) {
					tx[j] = append(tx[j], raw[k:]...)
				}
			}
		}
		wal, ends := w.build(txs)
		frames := 0
		for _, tx := range txs {
			frames += len(tx)
		}
		if r := Check(wal); r.Damaged || r.Valid != frames || r.Commits != len(txs) || r.FirstBad != -1 {
			t.Fatalf("clean WAL of %d frames, %d txs: %+v", frames, len(txs), r)
		}
		c := int(cut) % (len(wal) + 1)
		r := Check(wal[:c])
		if r.Damaged {
			t.Fatalf("cut at %d of %d: damaged: %+v", c, len(wal), r)
		}
		want := int64(HeaderSize)
		for _, e := range ends {
			if e <= c {
				want = int64(e)
			}
		}
		if c >= HeaderSize && r.PrefixLen() != want {
			t.Fatalf("cut at %d: prefix %d, want %d", c, r.PrefixLen(), want)
		}
	})
}
