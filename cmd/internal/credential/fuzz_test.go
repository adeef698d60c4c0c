package credential

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDecodeFields checks the encoding of the helpers' item values both
// ways. DecodeFields of any string, for 0 to 9 fields, either fails with
// ErrMalformed, without quoting the value, or returns fields that
// EncodeFields turns back into exactly that string: a value has one
// encoding. DecodeFields(EncodeFields(fields)) gives the fields back for
// any strings (up to the 99,999 bytes a length of five digits counts).
// And a key built from KeyPart and Digest is one the store accepts.
func FuzzDecodeFields(f *testing.F) {
	f.Add("git1;2:hp,5:https,10:github.com,0:,3:bob,7:s3cr,t!,0:,0:,19:1795780800000000000", uint8(9), "https", "github.com", "")
	f.Add("docker1;14:127.0.0.1:5000,2:ci,15:registry-s3cret", uint8(3), "a,b", "1:c", "\n\x00\xff")
	f.Add("git1;", uint8(0), "", "", "")
	f.Add("git1;1:a,", uint8(1), "", "", "")

	f.Fuzz(func(t *testing.T, value string, n uint8, a, b, c string) {
		const tag = "git1"
		fields, err := DecodeFields(tag, value, int(n%10))
		switch {
		case err != nil && !errors.Is(err, ErrMalformed):
			t.Fatalf("DecodeFields(%q): %v, want ErrMalformed", value, err)
		case err != nil && len(value) >= 8 && strings.Contains(err.Error(), value):
			t.Fatalf("DecodeFields(%q): the error %q quotes the value", value, err)
		case err == nil && len(fields) != int(n%10):
			t.Fatalf("DecodeFields(%q, %d) gave %d fields", value, n%10, len(fields))
		case err == nil && EncodeFields(tag, fields...) != value:
			t.Fatalf("DecodeFields(%q) = %q, which encode as %q", value, fields, EncodeFields(tag, fields...))
		}

		in := []string{a, b, c}
		got, err := DecodeFields("docker1", EncodeFields("docker1", in...), len(in))
		if err != nil || len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
			t.Fatalf("DecodeFields(EncodeFields(%q)) = %q, %v", in, got, err)
		}

		key := KeyPart(a) + "_" + KeyPart(b) + "_" + Digest("fuzz", a, b, c)
		if !validKey.MatchString(key) || strings.Count(key, "_") != 2 {
			t.Fatalf("key %q from %q, %q is not a valid item key of three parts", key, a, b)
		}
	})
}
