package main

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/securestore-go/securestore"
)

// The fuzz targets of the CLI's input readers: set's value on standard
// input, and the passcodes and passphrases read from a file descriptor.
// Whatever a script pipes in, they must take exactly the bytes meant,
// and never hold more than their limit.

// fuzzReader wraps r in one of the readers that behave like pipes and
// terminals do: whole reads, a byte at a time, half of what is asked.
func fuzzReader(r io.Reader, style uint8) io.Reader {
	switch style % 3 {
	case 1:
		return iotest.OneByteReader(r)
	case 2:
		return iotest.HalfReader(r)
	}
	return r
}

// FuzzReadValue feeds readValue any input, with limits of 0 to 63 bytes
// (the behaviour at 2048 is the same, at the edge the fuzzer reaches
// less often), through readers that return whole, one-byte or half
// reads, some ending in an error. It checks that readValue removes
// exactly one trailing "\n" or "\r\n" and nothing else, succeeds exactly
// when what is left fits the limit, fails with ErrValueTooLarge
// otherwise, never reads more than the limit and three bytes, and passes
// on a read error that comes before it has seen too much.
func FuzzReadValue(f *testing.F) {
	f.Add([]byte("ghp_s3cret\n"), uint8(16), uint8(0), false)
	f.Add([]byte("abcd\r\n"), uint8(4), uint8(1), false)
	f.Add([]byte("abcd\n\n"), uint8(4), uint8(2), false)
	f.Add([]byte("abc\r"), uint8(3), uint8(0), true)
	f.Add([]byte("\r\n"), uint8(0), uint8(1), true)
	f.Add(bytes.Repeat([]byte("x"), 200), uint8(63), uint8(0), false)

	boom := errors.New("boom")
	f.Fuzz(func(t *testing.T, input []byte, l, style uint8, fail bool) {
		limit := int(l % 64)
		src := io.Reader(bytes.NewReader(input))
		if fail {
			src = io.MultiReader(src, iotest.ErrReader(boom))
		}
		counted := &countingReader{r: fuzzReader(src, style)}
		value, err := readValue(counted, limit)

		want := input
		if cut, ok := bytes.CutSuffix(want, []byte("\r\n")); ok {
			want = cut
		} else if cut, ok := bytes.CutSuffix(want, []byte("\n")); ok {
			want = cut
		}
		if counted.n > limit+3 {
			t.Fatalf("readValue read %d bytes with a limit of %d", counted.n, limit)
		}
		switch {
		case fail && len(input) <= limit+2:
			if !errors.Is(err, boom) {
				t.Fatalf("readValue(%q, %d) with a failing reader: %q, %v; want the read error", input, limit, value, err)
			}
		case len(want) > limit:
			if !errors.Is(err, securestore.ErrValueTooLarge) || value != "" {
				t.Fatalf("readValue(%q, %d) = %q, %v; want ErrValueTooLarge", input, limit, value, err)
			}
		case err != nil || value != string(want):
			t.Fatalf("readValue(%q, %d) = %q, %v; want %q", input, limit, value, err, want)
		}
	})
}

// FuzzReadLine reads lines, as passcodes from one file descriptor, until
// an error, from any input, with limits of 0 to 63 bytes, through whole,
// one-byte or half reads. Each line must be what splitting the input at
// "\n" and dropping one trailing "\r" gives, or errLineTooLong when that
// is longer than the limit (after which nothing more is read); the end
// is io.EOF; and readLine must never consume a byte past its line's
// "\n", since the next secret on the descriptor is someone else's.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("1234\r\ncorrect horse\nrest"), uint8(16), uint8(1))
	f.Add([]byte("\n\n\r\n"), uint8(0), uint8(0))
	f.Add([]byte("abcd\rx\n"), uint8(4), uint8(2))
	f.Add([]byte("abc\r"), uint8(3), uint8(0))
	f.Add(bytes.Repeat([]byte("p"), 100), uint8(63), uint8(1))

	f.Fuzz(func(t *testing.T, input []byte, l, style uint8) {
		limit := int(l % 64)
		src := bytes.NewReader(input)
		r := fuzzReader(src, style)
		rest := input
		for {
			got, err := readLine(r, limit)
			if len(rest) == 0 {
				if err != io.EOF || got != nil {
					t.Fatalf("readLine at the end = %q, %v; want io.EOF", got, err)
				}
				return
			}
			line, after, found := bytes.Cut(rest, []byte("\n"))
			want := bytes.TrimSuffix(line, []byte("\r"))
			if len(want) > limit {
				if !errors.Is(err, errLineTooLong) || got != nil {
					t.Fatalf("readLine of a %d-byte line, limit %d = %q, %v; want errLineTooLong", len(want), limit, got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("readLine(%q, %d) = %q, %v; want %q", rest, limit, got, err, want)
			}
			if !found {
				after = nil
			}
			rest = after
			if src.Len() != len(rest) {
				t.Fatalf("readLine of %q consumed %d bytes past its line", line, len(rest)-src.Len())
			}
		}
	})
}
