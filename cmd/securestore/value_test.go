package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/securestore-go/securestore"
)

func TestReadValue(t *testing.T) {
	const limit = 4
	tests := []struct {
		input   string
		want    string
		wantErr error
	}{
		{"", "", nil},
		{"\n", "", nil},
		{"\r\n", "", nil},
		{"abc", "abc", nil},
		{"abc\n", "abc", nil},
		{"abc\r\n", "abc", nil},
		{"abc\n\n", "abc\n", nil},
		{"abc\r", "abc\r", nil},
		{"abc\n\r\n", "abc\n", nil},
		{"a\nb\n", "a\nb", nil},
		{"abcd", "abcd", nil},
		{"abcd\n", "abcd", nil},
		{"abcd\r\n", "abcd", nil},
		{"abcde", "", securestore.ErrValueTooLarge},
		{"abcd\n\n", "", securestore.ErrValueTooLarge},
		{"abcd\r\nx", "", securestore.ErrValueTooLarge},
		{strings.Repeat("x", 1<<20), "", securestore.ErrValueTooLarge},
	}
	for _, tt := range tests {
		got, err := readValue(strings.NewReader(tt.input), limit)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("readValue(%q) = %q, %v; want %q, %v", tt.input, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestReadValueBounded checks that readValue stops reading a long input
// soon after the limit instead of reading it whole.
func TestReadValueBounded(t *testing.T) {
	r := &countingReader{r: strings.NewReader(strings.Repeat("x", 1<<20))}
	if _, err := readValue(r, 2048); !errors.Is(err, securestore.ErrValueTooLarge) {
		t.Fatalf("readValue of 1 MiB: %v, want ErrValueTooLarge", err)
	}
	if r.n > 2048+3 {
		t.Errorf("readValue read %d bytes of a 1 MiB input, want at most %d", r.n, 2048+3)
	}
}

func TestReadValueError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := readValue(iotest.ErrReader(boom), 2048); !errors.Is(err, boom) {
		t.Errorf("readValue of a failing reader: %v, want boom", err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
