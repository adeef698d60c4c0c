package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// fakeClock is a time source that tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestProgressLine(t *testing.T) {
	var out strings.Builder
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	p := startProgressLine(&out, exportProgress, clock.now)
	w := progressWriter{io.Discard, p}

	// A quick export shows nothing, and leaves nothing to clear.
	w.Write(make([]byte, 1000))
	clock.advance(progressInterval - 1)
	w.Write(make([]byte, 1000))
	if out.String() != "" {
		t.Fatalf("within the first interval, the line shows %q; want nothing", out.String())
	}

	// Then one drawing per interval, however many writes.
	clock.advance(1)
	w.Write(make([]byte, 48))
	w.Write(make([]byte, 1))
	clock.advance(progressInterval / 2)
	w.Write(make([]byte, 1))
	if want := "\rexporting: 2.0 KiB written"; out.String() != want {
		t.Fatalf("after the first interval, the line shows %q; want %q", out.String(), want)
	}
	clock.advance(progressInterval / 2)
	w.Write(make([]byte, 3<<20))
	if want := "\rexporting: 2.0 KiB written\rexporting: 3.0 MiB written"; out.String() != want {
		t.Fatalf("after the second interval, the line shows %q; want %q", out.String(), want)
	}

	// finish blanks the line out and returns to its start.
	out.Reset()
	p.finish()
	if want := "\r" + strings.Repeat(" ", len("exporting: 3.0 MiB written")) + "\r"; out.String() != want {
		t.Errorf("finish wrote %q; want %q", out.String(), want)
	}
	out.Reset()
	p.finish()
	if out.String() != "" {
		t.Errorf("a second finish wrote %q; want nothing", out.String())
	}
}

// TestProgressLineShorter checks that a shorter line blanks out the rest
// of a longer one before it.
func TestProgressLineShorter(t *testing.T) {
	var out strings.Builder
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	labels := []string{"a long line", "short"}
	p := startProgressLine(&out, func(int64) string { l := labels[0]; labels = labels[1:]; return l }, clock.now)
	clock.advance(progressInterval)
	p.add(1)
	clock.advance(progressInterval)
	p.add(1)
	if want := "\ra long line\rshort      "; out.String() != want {
		t.Errorf("the line shows %q; want %q", out.String(), want)
	}
}

// TestNoProgressLine checks that there is no line when stderr is not a
// terminal, and that a nil line is safe to use.
func TestNoProgressLine(t *testing.T) {
	var out strings.Builder
	p := newProgressLine(&out, exportProgress)
	if p != nil {
		t.Fatalf("newProgressLine on a strings.Builder = %v; want nil", p)
	}
	progressReader{strings.NewReader("data"), p}.Read(make([]byte, 4))
	p.finish()
	if out.String() != "" {
		t.Errorf("a nil progress line wrote %q", out.String())
	}
}

func TestImportProgress(t *testing.T) {
	tests := []struct {
		size, done int64
		want       string
	}{
		{-1, 1536, "importing: 1.5 KiB read"},
		{0, 10, "importing: 10 B read"},
		{4 << 20, 1 << 20, "importing: 25% of 4.0 MiB read"},
		{100, 100, "importing: 100% of 100 B read"},
		{100, 150, "importing: 100% of 100 B read"}, // a file that grew meanwhile
	}
	for _, tt := range tests {
		if got := importProgress(tt.size)(tt.done); got != tt.want {
			t.Errorf("importProgress(%d)(%d) = %q; want %q", tt.size, tt.done, got, tt.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{10 << 20, "10.0 MiB"},
		{5 << 30, "5.0 GiB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q; want %q", tt.n, got, tt.want)
		}
	}
}
