package supervise

import (
	"strings"
	"sync"
	"testing"
)

func TestLineWriterPrefixesWholeLines(t *testing.T) {
	var out strings.Builder
	var mu sync.Mutex
	w := &LineWriter{W: &out, Prefix: "sync app:a: ", Mu: &mu}
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\nthree"))
	if got := out.String(); got != "sync app:a: one\nsync app:a: two\n" {
		t.Fatalf("before Flush: %q", got)
	}
	w.Flush()
	if got := out.String(); !strings.HasSuffix(got, "sync app:a: three\n") {
		t.Fatalf("after Flush: %q", got)
	}
	out.Reset()
	w.Write([]byte(strings.Repeat("x", maxLine+10)))
	if got := out.String(); got != "sync app:a: "+strings.Repeat("x", maxLine)+"\n" {
		t.Fatalf("a long line: %d bytes", len(got))
	}
}
