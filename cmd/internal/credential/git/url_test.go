package git

import (
	"errors"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want Credential
	}{
		{"https://example.com", Credential{Protocol: Set("https"), Host: Set("example.com")}},
		{"https://alice:s3cret@example.com", Credential{Protocol: Set("https"), Host: Set("example.com"), Username: Set("alice"), Password: Set("s3cret")}},
		{"https://alice@example.com:8443/", Credential{Protocol: Set("https"), Host: Set("example.com:8443"), Username: Set("alice")}},
		{"https://a%40b.c:p%3Aw%2Fd%25@example.com/org/repo.git", Credential{Protocol: Set("https"), Host: Set("example.com"),
			Path: Set("org/repo.git"), Username: Set("a@b.c"), Password: Set("p:w/d%")}},
		// Only the first ':' of the user part splits it.
		{"https://u:a:b@h", Credential{Protocol: Set("https"), Host: Set("h"), Username: Set("u"), Password: Set("a:b")}},
		{"https://:@h", Credential{Protocol: Set("https"), Host: Set("h"), Username: Set(""), Password: Set("")}},
		{"https://h//a//b///", Credential{Protocol: Set("https"), Host: Set("h"), Path: Set("a//b")}},
		{"https://h/%2F%2F", Credential{Protocol: Set("https"), Host: Set("h"), Path: Set("/")}},
		{"https://h/x@y", Credential{Protocol: Set("https"), Host: Set("h"), Path: Set("x@y")}},
		{"https://h?q=1", Credential{Protocol: Set("https"), Host: Set("h"), Path: Set("?q=1")}},
		{"https://u:p@h#frag", Credential{Protocol: Set("https"), Host: Set("h"), Path: Set("#frag"), Username: Set("u"), Password: Set("p")}},
		{"https://", Credential{Protocol: Set("https"), Host: Set("")}},
		{"cert:///etc/cert.pem", Credential{Protocol: Set("cert"), Host: Set(""), Path: Set("etc/cert.pem")}},
		{"https://u+v:a+b@h", Credential{Protocol: Set("https"), Host: Set("h"), Username: Set("u+v"), Password: Set("a+b")}},
		{"https://u:%zz%4@h", Credential{Protocol: Set("https"), Host: Set("h"), Username: Set("u"), Password: Set("%zz%4")}},
		{"https://example.com%3A8443", Credential{Protocol: Set("https"), Host: Set("example.com:8443")}},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseURL(%q) =\n%+v, %v\nwant %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, in := range []string{"", "example.com", "://example.com", "https:/h", "https://u:p%0a@h", "https://h/%0d%0a%0A", "https://h%00"} {
		if got, err := ParseURL(in); !errors.Is(err, ErrBadURL) {
			t.Errorf("ParseURL(%q) = %+v, %v; want ErrBadURL", in, got, err)
		}
	}
}

func TestFormatURLRoundTrip(t *testing.T) {
	for _, c := range []Credential{
		{Protocol: Set("https"), Host: Set("example.com:8443"), Username: Set("a@b:c/d"), Password: Set("p%w:@/ ?#é")},
		{Protocol: Set("https"), Host: Set("h"), Path: Set("org/my repo.git"), Username: Set(""), Password: Set("")},
	} {
		got, err := ParseURL(FormatURL(&c))
		if err != nil || got != c {
			t.Errorf("ParseURL(FormatURL(%+v)) = %+v, %v", c, got, err)
		}
	}
}
