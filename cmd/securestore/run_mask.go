package main

import (
	"bytes"
	"io"
	"slices"
)

// concealed replaces a secret in the output of "securestore run".
const concealed = "<concealed by securestore>"

// minMaskedLen is the shortest secret that run masks. Masking a shorter
// one would rewrite ordinary output (every "1" of a one-byte secret "1")
// and tell a reader more about the secret than it hides.
const minMaskedLen = 4

// maskingWriter copies what is written to it to w, with every occurrence
// of a secret replaced by concealed. A secret may arrive split across two
// writes: the writer holds back the longest tail of its input that could
// be the start of a secret (at most the longest secret's length minus
// one) until the next write or Close shows whether it is.
type maskingWriter struct {
	w       io.Writer
	secrets [][]byte // longest first, so that the longest match wins
	pending []byte
}

func newMaskingWriter(w io.Writer, secrets []string) *maskingWriter {
	m := &maskingWriter{w: w}
	for _, s := range secrets {
		if len(s) >= minMaskedLen {
			m.secrets = append(m.secrets, []byte(s))
		}
	}
	slices.SortFunc(m.secrets, func(a, b []byte) int { return len(b) - len(a) })
	return m
}

// Write masks p and passes on all of it that cannot be the start of a
// secret. It reports len(p) written unless w fails.
func (m *maskingWriter) Write(p []byte) (int, error) {
	m.pending = append(m.pending, p...)
	if err := m.flush(false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close passes on what is held back; the stream has ended, so a partial
// secret at its end is not a secret.
func (m *maskingWriter) Close() error { return m.flush(true) }

// flush writes out pending, masked, except (unless final) a tail that is
// a proper prefix of a secret.
func (m *maskingWriter) flush(final bool) error {
	buf := m.pending
	var out []byte
	for {
		at, n := m.firstMatch(buf)
		hold := len(buf)
		if !final {
			hold = m.partialStart(buf)
		}
		if at < 0 || hold <= at {
			// No whole secret before the tail that may still grow
			// into one (a longer secret there could cover the match).
			out = append(out, buf[:hold]...)
			buf = buf[hold:]
			break
		}
		out = append(out, buf[:at]...)
		out = append(out, concealed...)
		buf = buf[at+n:]
	}
	m.pending = append(m.pending[:0], buf...)
	if len(out) == 0 {
		return nil
	}
	_, err := m.w.Write(out)
	return err
}

// firstMatch returns the position and length of the leftmost secret in
// buf, the longest at that position, or -1.
func (m *maskingWriter) firstMatch(buf []byte) (at, n int) {
	at = -1
	for _, s := range m.secrets {
		if i := bytes.Index(buf, s); i >= 0 && (at < 0 || i < at) {
			at, n = i, len(s)
		}
	}
	return at, n
}

// partialStart returns where the longest suffix of buf that is a proper
// prefix of some secret begins, or len(buf) when there is none.
func (m *maskingWriter) partialStart(buf []byte) int {
	longest := 0
	for _, s := range m.secrets {
		longest = max(longest, len(s))
	}
	for i := max(0, len(buf)-longest+1); i < len(buf); i++ {
		for _, s := range m.secrets {
			if len(buf)-i < len(s) && bytes.HasPrefix(s, buf[i:]) {
				return i
			}
		}
	}
	return len(buf)
}
