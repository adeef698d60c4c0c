package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadLine(t *testing.T) {
	const limit = 4
	tests := []struct {
		input   string
		want    string
		wantErr error
	}{
		{"abc\n", "abc", nil},
		{"abc\r\n", "abc", nil},
		{"abc", "abc", nil}, // a last line without a newline counts
		{"\n", "", nil},     // an empty line is an empty secret; the caller decides
		{"abcd\n", "abcd", nil},
		{"abcd\r\n", "abcd", nil},
		{"abc\r", "abc", nil},
		{"a\rb\n", "a\rb", nil},
		{"", "", io.EOF},
		{"abcde\n", "", errLineTooLong},
		{"abcd\rx\n", "", errLineTooLong},
		{strings.Repeat("x", 1<<20), "", errLineTooLong},
	}
	for _, tt := range tests {
		got, err := readLine(strings.NewReader(tt.input), limit)
		if string(got) != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("readLine(%q) = %q, %v; want %q, %v", tt.input, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestReadLineLeavesTheRest checks that readLine consumes its line and not
// a byte more, so that the passcode and the passphrase can share one file
// descriptor, and that it works on a reader that returns a byte at a time
// and its error with the last one.
func TestReadLineLeavesTheRest(t *testing.T) {
	r := iotest.DataErrReader(iotest.OneByteReader(strings.NewReader("passcode\r\npassphrase\nrest")))
	for _, want := range []string{"passcode", "passphrase", "rest"} {
		got, err := readLine(r, 64)
		if err != nil || string(got) != want {
			t.Fatalf("readLine = %q, %v; want %q, nil", got, err, want)
		}
	}
	if got, err := readLine(r, 64); err != io.EOF {
		t.Errorf("readLine at the end = %q, %v; want io.EOF", got, err)
	}
}

// TestReadLineFailure checks that a read error is returned as it is, and
// what was read so far is not.
func TestReadLineFailure(t *testing.T) {
	broken := errors.New("broken pipe")
	r := io.MultiReader(strings.NewReader("half a pass"), iotest.ErrReader(broken))
	if got, err := readLine(r, 64); got != nil || !errors.Is(err, broken) {
		t.Errorf("readLine = %q, %v; want nil, %v", got, err, broken)
	}
}

func TestFDFlag(t *testing.T) {
	for _, bad := range []string{"-1", "three", "", "3.0"} {
		var f fdFlag
		if err := f.Set(bad); err == nil || f.set {
			t.Errorf("fdFlag.Set(%q) = nil, set %v; want an error", bad, f.set)
		}
	}
	var f fdFlag
	if f.String() != "" {
		t.Errorf("unset fdFlag.String() = %q, want \"\"", f.String())
	}
	if err := f.Set("3"); err != nil || !f.set || f.fd != 3 || f.String() != "3" {
		t.Errorf("fdFlag.Set(\"3\") = %v, %+v", err, f)
	}
}
