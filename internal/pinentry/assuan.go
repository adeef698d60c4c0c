package pinentry

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/securestore-go/securestore/internal/secmem"
)

// maxLine is the Assuan line limit: 1000 bytes plus CR LF (libassuan's
// ASSUAN_LINELENGTH). A longer line is a protocol error.
const maxLine = 1002

// maxPasscode caps the decoded passcode. pinentry sends it in D lines of
// at most 1000 bytes each; a program that sends more is broken or hostile.
const maxPasscode = 4096

var (
	errBadEscape = errors.New("bad %XX escape in a data line")
	errTooLong   = errors.New("data longer than the passcode limit")
)

// decodeData decodes the payload of one Assuan "D" line (the bytes after
// "D ") into dst: %XX (either case) becomes the byte XX, every other byte
// is itself. It returns how many bytes it wrote; on error dst may hold a
// partial result, which the caller wipes.
func decodeData(dst, src []byte) (int, error) {
	n := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '%' {
			if i+2 >= len(src) {
				return n, errBadEscape
			}
			var b [1]byte
			if _, err := hex.Decode(b[:], src[i+1:i+3]); err != nil {
				return n, errBadEscape
			}
			c = b[0]
			i += 2
		}
		if n == len(dst) {
			return n, errTooLong
		}
		dst[n] = c
		n++
	}
	return n, nil
}

// escapeParam escapes text for a command's parameter the way pinentry
// decodes it (pinentry.c's strcpy_escaped: every %XX is a byte): %, CR, LF
// and the other control bytes, and the backslash (a trailing one means a
// continuation line), become %XX. Invalid UTF-8 becomes U+FFFD. The result
// is cut at a character boundary so that it is at most max bytes: the text
// shown to the user is never allowed to break the line limit.
func escapeParam(text string, max int) string {
	var out []byte
	for _, r := range toValidUTF8(text) {
		var enc [utf8.UTFMax]byte
		raw := enc[:utf8.EncodeRune(enc[:], r)]
		var esc []byte
		for _, c := range raw {
			if c < 0x20 || c == 0x7f || c == '%' || c == '\\' {
				esc = append(esc, '%', hexDigits[c>>4], hexDigits[c&15])
			} else {
				esc = append(esc, c)
			}
		}
		if len(out)+len(esc) > max {
			break
		}
		out = append(out, esc...)
	}
	return string(out)
}

const hexDigits = "0123456789ABCDEF"

func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
}

// lineReader reads Assuan lines into a secmem buffer, so that a line
// holding passcode data never lands in the Go heap, and wipes each line
// once the next one is asked for.
type lineReader struct {
	r          io.Reader
	buf        *secmem.Buffer
	start, end int // unread bytes are buf[start:end]
	last       []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, buf: secmem.New(2 * maxLine)}
}

var errLineTooLong = errors.New("line longer than 1000 bytes")

// next returns the next line without its LF or CR LF. The line is valid
// until the next call, which wipes it. At the end of input it returns
// io.EOF, or io.ErrUnexpectedEOF when the input ends mid-line.
func (lr *lineReader) next() ([]byte, error) {
	clear(lr.last)
	lr.last = nil
	b := lr.buf.Bytes()
	for {
		if i := bytes.IndexByte(b[lr.start:lr.end], '\n'); i >= 0 {
			if i+1 > maxLine {
				return nil, errLineTooLong
			}
			line := b[lr.start : lr.start+i+1]
			lr.start += i + 1
			lr.last = line
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, nil
		}
		if lr.end-lr.start >= maxLine {
			return nil, errLineTooLong
		}
		// Move the partial line to the front, wiping where it was.
		n := copy(b, b[lr.start:lr.end])
		clear(b[n:lr.end])
		lr.start, lr.end = 0, n
		m, err := lr.r.Read(b[lr.end:])
		lr.end += m
		if m == 0 && err != nil {
			if err == io.EOF && lr.end > lr.start {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// free wipes and releases the buffer.
func (lr *lineReader) free() {
	lr.buf.Free()
	lr.last = nil
}

// A response is one line from the program, classified.
type response struct {
	kind    byte   // 'O' (OK), 'E' (ERR), 'D' (data), 'S' (status), '#' (comment)
	payload []byte // D: the still-escaped data; ERR: "code [text]"
}

// parseResponse classifies a line. Anything but OK, ERR, D, S and comment
// lines is malformed (INQUIRE included: the package never asks for
// anything that inquires).
func parseResponse(line []byte) (response, bool) {
	switch {
	case bytes.Equal(line, []byte("OK")) || bytes.HasPrefix(line, []byte("OK ")):
		return response{kind: 'O'}, true
	case bytes.HasPrefix(line, []byte("ERR ")):
		return response{kind: 'E', payload: line[4:]}, true
	case bytes.HasPrefix(line, []byte("D ")):
		return response{kind: 'D', payload: line[2:]}, true
	case bytes.Equal(line, []byte("S")) || bytes.HasPrefix(line, []byte("S ")):
		return response{kind: 'S'}, true
	case len(line) > 0 && line[0] == '#':
		return response{kind: '#'}, true
	}
	return response{}, false
}

// parseErr splits an ERR payload into its code and description.
func parseErr(p []byte) (uint32, []byte, bool) {
	num, desc, _ := bytes.Cut(p, []byte(" "))
	code, err := strconv.ParseUint(string(num), 10, 32)
	if err != nil {
		return 0, nil, false
	}
	return uint32(code), desc, true
}
