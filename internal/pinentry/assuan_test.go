package pinentry

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeData(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"plain", "plain", nil},
		{"100%25 sure%0D%0Aline", "100% sure\r\nline", nil},
		{"%41%62%7e", "Ab~", nil}, // either case of hex digit
		{"", "", nil},
		{"abc%", "", errBadEscape},
		{"abc%4", "", errBadEscape},
		{"%G1", "", errBadEscape},
		{"%1g", "", errBadEscape},
	} {
		dst := make([]byte, 64)
		n, err := decodeData(dst, []byte(tc.in))
		if !errors.Is(err, tc.err) {
			t.Errorf("decodeData(%q): error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && string(dst[:n]) != tc.want {
			t.Errorf("decodeData(%q) = %q, want %q", tc.in, dst[:n], tc.want)
		}
	}
	if _, err := decodeData(make([]byte, 3), []byte("abcd")); !errors.Is(err, errTooLong) {
		t.Errorf("4 bytes into 3: error %v, want errTooLong", err)
	}
}

// TestEscapeParam checks that what escapeParam writes decodes back (the
// way pinentry decodes it) to the text, and that nothing in it can end or
// continue the line.
func TestEscapeParam(t *testing.T) {
	for _, text := range []string{
		"Unlock example.app", "100% sure\r\nsecond line", "tab\there", `ends in a backslash\`, "ünïcödé ✓",
	} {
		esc := escapeParam(text, maxParam)
		if strings.ContainsAny(esc, "\r\n\\") {
			t.Errorf("escapeParam(%q) = %q: holds a line break or backslash", text, esc)
		}
		dst := make([]byte, len(esc))
		n, err := decodeData(dst, []byte(esc))
		if err != nil || string(dst[:n]) != text {
			t.Errorf("escapeParam(%q) = %q decodes to %q, %v", text, esc, dst[:n], err)
		}
	}
	// Too long: cut at a character boundary, within the limit.
	long := strings.Repeat("é%", 1000)
	esc := escapeParam(long, 100)
	if len(esc) > 100 || len(esc) < 95 {
		t.Errorf("escapeParam of a long text: %d bytes, want 95..100", len(esc))
	}
	dst := make([]byte, len(esc))
	n, _ := decodeData(dst, []byte(esc))
	if !utf8.Valid(dst[:n]) || !strings.HasPrefix(long, string(dst[:n])) {
		t.Errorf("cut text %q is not a prefix of whole characters", dst[:n])
	}
	if got := escapeParam("bad \xff utf8", 100); got != "bad \uFFFD utf8" {
		t.Errorf("invalid UTF-8 escaped to %q", got)
	}
}

func TestLineReader(t *testing.T) {
	in := "OK hello\r\nD a%25b\n# comment\n" + "D " + strings.Repeat("x", 998) + "\n" + "S " + strings.Repeat("y", 1100) + "\n"
	lr := newLineReader(strings.NewReader(in))
	defer lr.free()
	for _, want := range []string{"OK hello", "D a%25b", "# comment", "D " + strings.Repeat("x", 998)} {
		line, err := lr.next()
		if err != nil || string(line) != want {
			t.Fatalf("next() = %.20q..., %v; want %.20q...", line, err, want)
		}
	}
	if _, err := lr.next(); !errors.Is(err, errLineTooLong) {
		t.Fatalf("1102-byte line: error %v, want errLineTooLong", err)
	}

	lr2 := newLineReader(strings.NewReader("OK\nD abc"))
	defer lr2.free()
	lr2.next()
	if _, err := lr2.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("input ending mid-line: error %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestLineReaderWipes checks that a line is wiped from the buffer once the
// next one is read: a passcode does not linger in the reader.
func TestLineReaderWipes(t *testing.T) {
	lr := newLineReader(strings.NewReader("D hunter2\nOK\n"))
	defer lr.free()
	lr.next()
	lr.next()
	if bytes.Contains(lr.buf.Bytes(), []byte("hunter2")) {
		t.Fatal("the D line is still in the read buffer after the next line")
	}
}

func TestParseResponse(t *testing.T) {
	for line, kind := range map[string]byte{
		"OK": 'O', "OK Pleased to meet you": 'O', "ERR 83886179 Operation cancelled": 'E',
		"D x": 'D', "S PASSWORD_FROM_CACHE": 'S', "#": '#', "# debug": '#',
	} {
		if r, ok := parseResponse([]byte(line)); !ok || r.kind != kind {
			t.Errorf("parseResponse(%q) = %c, %v; want %c", line, r.kind, ok, kind)
		}
	}
	for _, line := range []string{"", "OKAY", "D", "Dx", "INQUIRE QUALITY", "ERR", "hello"} {
		if r, ok := parseResponse([]byte(line)); ok {
			t.Errorf("parseResponse(%q) = %c, want malformed", line, r.kind)
		}
	}
	if code, _, ok := parseErr([]byte("83886179 Operation cancelled <Pinentry>")); !ok || code != 83886179 {
		t.Errorf("parseErr: %d, %v", code, ok)
	}
	if !errors.Is(errFromCode("GETPIN", 83886179, nil), ErrCanceled) ||
		!errors.Is(errFromCode("GETPIN", 83886278, nil), ErrCanceled) ||
		!errors.Is(errFromCode("GETPIN", 83886142, nil), ErrTimeout) {
		t.Error("cancel, fully-canceled or timeout codes not mapped")
	}
}

// FuzzDecodeData feeds the D-line decoder arbitrary payloads: it must
// never panic or write past dst, and whatever escapeParam writes must
// decode back to the text.
func FuzzDecodeData(f *testing.F) {
	for _, s := range []string{"", "abc", "%25%0D%0A", "%", "%4", "%zz", "a%41b", strings.Repeat("%FF", 40)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dst := make([]byte, 16)
		n, err := decodeData(dst, src)
		if n > len(dst) {
			t.Fatalf("wrote %d bytes into %d", n, len(dst))
		}
		if err == nil && n > len(src) {
			t.Fatalf("decoded %d bytes from %d", n, len(src))
		}
		text := strings.ToValidUTF8(string(src), "\uFFFD")
		esc := escapeParam(text, 1<<20)
		out := make([]byte, len(esc))
		m, err := decodeData(out, []byte(esc))
		if err != nil || string(out[:m]) != text {
			t.Fatalf("escape %q → %q → %q, %v", text, esc, out[:m], err)
		}
	})
}
