package docker

import (
	"errors"
	"strings"
	"testing"
)

func TestParseServerURL(t *testing.T) {
	tests := []struct {
		in   string
		want Registry
	}{
		{"127.0.0.1:5000", Registry{Host: "127.0.0.1", Port: "5000"}},
		{"http://127.0.0.1:5000", Registry{Host: "127.0.0.1", Port: "5000"}},
		{"https://127.0.0.1:5000/", Registry{Host: "127.0.0.1", Port: "5000"}},
		{"//127.0.0.1:5000//", Registry{Host: "127.0.0.1", Port: "5000"}},
		{"https://index.docker.io/v1/", Registry{Host: "index.docker.io", Path: "/v1"}},
		{"index.docker.io/v1", Registry{Host: "index.docker.io", Path: "/v1"}},
		{"Registry.Example.COM", Registry{Host: "registry.example.com"}},
		{"registry.example.com:443", Registry{Host: "registry.example.com", Port: "443"}},
		{"https://registry.example.com/v2/?x=1#f", Registry{Host: "registry.example.com", Path: "/v2"}},
		{"[::1]:5000", Registry{Host: "::1", Port: "5000"}},
		{"HTTPS://ghcr.io", Registry{Host: "ghcr.io"}},
	}
	for _, tt := range tests {
		got, err := ParseServerURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseServerURL(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseServerURLErrors(t *testing.T) {
	for _, in := range []string{
		"", "ftp://registry.example.com", "https://", "https:///v2", "//:5000",
		"https://user:s3cret@registry.example.com", "s3cret@registry.example.com",
		"http://[::1", "registry.example.com:port",
		// net/url would quote the bad escape, a piece of the password.
		"https://user:s3cret%zz@registry.example.com",
	} {
		got, err := ParseServerURL(in)
		if !errors.Is(err, ErrBadServerURL) {
			t.Errorf("ParseServerURL(%q) = %+v, %v; want ErrBadServerURL", in, got, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "%zz") {
			t.Errorf("ParseServerURL(%q): error %q repeats the URL", in, err)
		}
	}
}

func TestRegistryString(t *testing.T) {
	for in, want := range map[string]string{
		"https://127.0.0.1:5000/":     "127.0.0.1:5000",
		"https://index.docker.io/v1/": "index.docker.io/v1",
		"[::1]:5000":                  "[::1]:5000",
	} {
		r, err := ParseServerURL(in)
		if err != nil || r.String() != want {
			t.Errorf("ParseServerURL(%q).String() = %q, %v; want %q", in, r.String(), err, want)
		}
	}
}

func TestKeySameRegistry(t *testing.T) {
	key := func(s string) string {
		r, err := ParseServerURL(s)
		if err != nil {
			t.Fatal(err)
		}
		return Key(r)
	}
	k := key("127.0.0.1:5000")
	if !strings.HasPrefix(k, "127.0.0.1-5000_") || len(k) != len("127.0.0.1-5000_")+32 {
		t.Errorf("Key = %q", k)
	}
	for _, same := range []string{"http://127.0.0.1:5000", "https://127.0.0.1:5000/", "127.0.0.1:5000/"} {
		if key(same) != k {
			t.Errorf("%q has another key than 127.0.0.1:5000", same)
		}
	}
	for _, other := range []string{"127.0.0.1", "127.0.0.1:5001", "127.0.0.1:5000/v1", "127.0.0.2:5000"} {
		if key(other) == k {
			t.Errorf("%q has the key of 127.0.0.1:5000", other)
		}
	}
}

// TestRegistryStringParsesBack: String escapes what ParseServerURL
// decoded, so that the registry it names is the same one.
func TestRegistryStringParsesBack(t *testing.T) {
	for in, want := range map[string]string{
		"https://h/a%2Fb/%252F":             "h/a/b/%252F",
		"https://h/v2/a%3Fb%20c":            "h/v2/a%3Fb%20c",
		"https://[fe80::1%25eth0]:5000/v2/": "[fe80::1%25eth0]:5000/v2",
		"h%25x:5000":                        "h%25x:5000",
		"h/:/%2Fx":                          "h/%3A//x",
		"https://[fe80::1%25%20]/":          "[fe80::1%25%20]",
		"%C3%A9.example":                    "%C3%A9.example",
	} {
		r, err := ParseServerURL(in)
		if err != nil || r.String() != want {
			t.Errorf("ParseServerURL(%q).String() = %q, %v; want %q", in, r.String(), err, want)
			continue
		}
		if again, err := ParseServerURL(r.String()); err != nil || again != r {
			t.Errorf("ParseServerURL(%q) = %+v, %v; want %+v", r.String(), again, err, r)
		}
	}
	if r, err := ParseServerURL("[::%25\xc3]"); !errors.Is(err, ErrBadServerURL) {
		t.Errorf("ParseServerURL of a non-ASCII zone = %+v, %v; want ErrBadServerURL (net/url cannot write it back)", r, err)
	}
	if r, err := ParseServerURL("::0"); !errors.Is(err, ErrBadServerURL) {
		t.Errorf("ParseServerURL(\"::0\") = %+v, %v; want ErrBadServerURL (IPv6 needs brackets)", r, err)
	}
}
