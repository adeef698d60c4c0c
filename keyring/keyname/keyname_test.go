package keyname

import (
	"errors"
	"testing"
)

// validName is securestore's rule for keys and services:
// one or more of A-Z a-z 0-9 . _ - (ASCII).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !kept(c) && c != '_' {
			return false
		}
	}
	return true
}

func TestEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "_"},
		{"alice", "alice"},
		{"github.com", "github.com"},
		{"my-service", "my-service"},
		{"..", ".."},
		{"_", "_5F"},
		{"a_b", "a_5Fb"},
		{"a b", "a_20b"},
		{"user@example.com", "user_40example.com"},
		{"é", "_C3_A9"},
		{"\x00\xff", "_00_FF"},
		// 99designs/keyring's file backend test TestFilenameWithBadChars
		// (file_test.go) escapes this key; it must round-trip here too.
		{`abc/.././123`, "abc_2F.._2F._2F123"},
		{"https://aws-sso-portal.awsapps.com/start", "https_3A_2F_2Faws-sso-portal.awsapps.com_2Fstart"},
	} {
		got := Encode(tc.in)
		if got != tc.want {
			t.Errorf("Encode(%q) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := Decode(got)
		if err != nil || back != tc.in {
			t.Errorf("Decode(%q) = %q, %v; want %q", got, back, err, tc.in)
		}
	}
}

// TestDecodeRejects lists names Encode never produces: each would be a
// second spelling of some string, or no spelling at all.
func TestDecodeRejects(t *testing.T) {
	for _, name := range []string{
		"",         // not a securestore name
		"a_",       // escape without digits
		"a_4",      // escape with one digit
		"_5f",      // lower-case hex
		"_41",      // escapes a byte Encode keeps ("A")
		"_2E",      // escapes '.'
		"a b",      // byte outside the alphabet
		"__5F",     // '_' not followed by hex
		"_G0",      // not hex
		"_5F_",     // trailing lone '_'
		"x\x00",    // NUL
		"\xc3\xa9", // raw non-ASCII
	} {
		if s, err := Decode(name); !errors.Is(err, ErrNotEncoded) {
			t.Errorf("Decode(%q) = %q, %v; want ErrNotEncoded", name, s, err)
		}
	}
}

// FuzzNameMapping checks the three promises of the package doc for any
// string: Encode's output is a valid securestore name, Decode inverts it,
// and Decode accepts only Encode's outputs (so the mapping is one-to-one
// in both directions).
func FuzzNameMapping(f *testing.F) {
	for _, s := range []string{"", "_", "a_b", "_5F", "abc/.././123", "é", "\x00", "_41", "ab_", "A-Z.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := Encode(s)
		if !validName(enc) {
			t.Fatalf("Encode(%q) = %q, not a valid securestore name", s, enc)
		}
		if len(enc) > 3*len(s) && s != "" {
			t.Fatalf("Encode(%q) = %q, longer than three times the input", s, enc)
		}
		dec, err := Decode(enc)
		if err != nil || dec != s {
			t.Fatalf("Decode(Encode(%q)) = %q, %v", s, dec, err)
		}
		// The input read as a stored name: if Decode accepts it, it must
		// be the encoding of what it decodes to.
		if d, err := Decode(s); err == nil && Encode(d) != s {
			t.Fatalf("Decode(%q) = %q, but Encode(%q) = %q", s, d, d, Encode(d))
		}
	})
}
