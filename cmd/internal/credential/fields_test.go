package credential

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestFieldsRoundTrip(t *testing.T) {
	for _, fields := range [][]string{
		{""},
		{"", "", ""},
		{"https", "github.com", "pass,with:commas,3:and\nnewlines", "\xff\x00invalid utf-8"},
		{strings.Repeat("x", 2000)},
	} {
		enc := EncodeFields("t1", fields...)
		got, err := DecodeFields("t1", enc, len(fields))
		if err != nil || !slices.Equal(got, fields) {
			t.Errorf("DecodeFields(EncodeFields(%q)) = %q, %v", fields, got, err)
		}
	}
}

func TestEncodeFieldsFormat(t *testing.T) {
	if got, want := EncodeFields("git1", "https", "", "a,b"), "git1;5:https,0:,3:a,b"; got != want {
		t.Errorf("EncodeFields = %q, want %q", got, want)
	}
}

func TestDecodeFieldsMalformed(t *testing.T) {
	for _, s := range []string{
		"",                  // no tag
		"git2;1:a",          // another tag
		"git1;",             // no field
		"git1;1:a",          // one field of two
		"git1;1:a,1:b,1:c",  // three of two
		"git1;2:a,1:b",      // cut short
		"git1;1:a1:b",       // no comma
		"git1;x:a,1:b",      // no length
		"git1;:a,1:b",       // empty length
		"git1;-1:a,1:b",     // negative
		"git1;999999:a,1:b", // absurd length
		"git1;1:a,9:b",      // longer than what is left
		"git1;1:a,1:b,",     // trailing comma
		"git1;1:a,1:bextra", // bytes after
		"git1;+1:a,1:b",     // a sign is not a digit
		"git1;1 :a,1:b",     // nor a space
		"git1;01:a,1:b",     // a leading zero: not the one encoding
	} {
		got, err := DecodeFields("git1", s, 2)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeFields(%q) = %q, %v; want ErrMalformed", s, got, err)
		}
	}
}

var validKey = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func TestKeyPart(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https", "https"},
		{"github.com", "github.com"},
		{"example.com:8443", "example.com-8443"},
		{"under_score", "under-score"},
		{"[::1]:5000", "---1--5000"},
		{"ünï", "--n--"}, // bytewise: ü and ï are two bytes each
		{"", ""},
		{strings.Repeat("a", 100), strings.Repeat("a", 64)},
	}
	for _, tt := range tests {
		if got := KeyPart(tt.in); got != tt.want {
			t.Errorf("KeyPart(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDigest(t *testing.T) {
	a := Digest("k1", "https", "host", "alice")
	if len(a) != 32 || !validKey.MatchString(a) {
		t.Fatalf("Digest = %q: want 32 key characters", a)
	}
	if a != Digest("k1", "https", "host", "alice") {
		t.Error("Digest is not stable")
	}
	// Field boundaries count: these would collide if fields were joined.
	for _, other := range [][]string{{"https", "hosta", "lice"}, {"https", "host", "alice", ""}, {"httpshost", "", "alice"}} {
		if Digest("k1", other...) == a {
			t.Errorf("Digest(%q) collides with Digest(https, host, alice)", other)
		}
	}
	if Digest("k2", "https", "host", "alice") == a {
		t.Error("the tag does not change the digest")
	}
}
