package passcode

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// The fuzz targets of the passcode records. Both live in the store's meta
// table, which anyone who can write the database file may change: a
// hostile Params must not make Key ask for unbounded work, and a hostile
// Failures must neither reset the delay nor lock the user out for good.

// FuzzDecodeParams checks that Decode either fails with ErrFormat or
// returns parameters inside the bounds that keep Key affordable (1-1000
// passes, 8 KiB-4 GiB, at least one thread) which Encode turns back into
// exactly the input: one encoding per set of parameters.
func FuzzDecodeParams(f *testing.F) {
	f.Add(Default.Encode())
	f.Add(New(Default).Encode())
	f.Add((Params{Time: 1, Memory: 8, Threads: 1}).Encode())
	f.Add((Params{Time: 1000, Memory: 4 << 20, Threads: 255}).Encode())
	f.Add((Params{Time: 0, Memory: 1024, Threads: 1}).Encode())
	f.Add([]byte{encodedVersion})

	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Decode(%x): %v, want ErrFormat", b, err)
			}
			return
		}
		if p.Time < 1 || p.Time > 1000 || p.Memory < 8 || p.Memory > 4<<20 || p.Threads < 1 {
			t.Fatalf("Decode(%x) accepted out-of-bounds parameters %+v", b, p)
		}
		if !bytes.Equal(p.Encode(), b) {
			t.Fatalf("Decode(%x) = %+v, which encodes as %x", b, p, p.Encode())
		}
	})
}

// FuzzDecodeFailures checks the wrong-passcode counter against any bytes
// and any clock: a well-formed record (12 bytes) round-trips through
// Encode; a damaged one reads as the maximum delay, so tampering cannot
// reset it; and neither Delay nor Wait is ever negative or longer than
// MaxDelay, whatever the record's time says, so that no record, and no
// clock that jumped back, locks a user out for longer than MaxDelay.
func FuzzDecodeFailures(f *testing.F) {
	last := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f.Add((Failures{Count: 1, Last: last}).Encode(), last.UnixNano())
	f.Add((Failures{Count: 5, Last: last}).Encode(), last.Add(time.Second).UnixNano())
	f.Add((Failures{Count: 40, Last: last}).Encode(), last.Add(time.Hour).UnixNano())
	f.Add([]byte("short"), int64(0))

	f.Fuzz(func(t *testing.T, b []byte, nowNanos int64) {
		fl := DecodeFailures(b)
		if len(b) == 12 {
			if got := fl.Encode(); !bytes.Equal(got, b) {
				t.Fatalf("DecodeFailures(%x) = %+v, which encodes as %x", b, fl, got)
			}
		} else if fl.Delay() != MaxDelay {
			t.Fatalf("a damaged record (%d bytes) reads as %d failures with delay %v, want %v", len(b), fl.Count, fl.Delay(), MaxDelay)
		}
		if d := fl.Delay(); d < 0 || d > MaxDelay {
			t.Fatalf("DecodeFailures(%x).Delay() = %v", b, d)
		}
		now := time.Unix(0, nowNanos)
		if w := fl.Wait(now); w < 0 || w > MaxDelay {
			t.Fatalf("DecodeFailures(%x).Wait(%v) = %v, want 0 to %v", b, now, w, MaxDelay)
		}
	})
}
