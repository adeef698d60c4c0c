package supervise

import (
	"bytes"
	"io"
	"sync"
)

// maxLine is the longest line LineWriter holds back waiting for its end;
// a longer one is written in pieces, each prefixed.
const maxLine = 4096

// LineWriter writes each line written to it to W with Prefix before it,
// whole, so that the lines of several children sharing one log do not
// interleave mid-line. Call Flush after the child has exited for a last
// line without a newline.
type LineWriter struct {
	W      io.Writer
	Prefix string
	// Mu, if set, is held around each write to W: share one among the
	// LineWriters of one log.
	Mu *sync.Mutex

	mu  sync.Mutex
	buf []byte
}

// Write implements io.Writer.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 && len(w.buf) < maxLine {
			break
		}
		n := i + 1
		if i < 0 {
			n = maxLine
		}
		w.emit(w.buf[:n], i < 0)
		w.buf = w.buf[n:]
	}
	if len(w.buf) == 0 {
		w.buf = nil
	}
	return len(p), nil
}

// Flush writes what is left of an unterminated last line.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(w.buf, true)
		w.buf = nil
	}
}

func (w *LineWriter) emit(line []byte, addNewline bool) {
	out := make([]byte, 0, len(w.Prefix)+len(line)+1)
	out = append(append(out, w.Prefix...), line...)
	if addNewline {
		out = append(out, '\n')
	}
	if w.Mu != nil {
		w.Mu.Lock()
		defer w.Mu.Unlock()
	}
	_, _ = w.W.Write(out) // the log is best effort
}
