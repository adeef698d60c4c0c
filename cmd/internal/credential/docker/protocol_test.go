package docker

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStoreInput(t *testing.T) {
	tests := []struct {
		in   string
		want Credentials
	}{
		{`{"ServerURL":"127.0.0.1:5000","Username":"u","Secret":"s"}`, Credentials{"127.0.0.1:5000", "u", "s"}},
		{"{\"ServerURL\":\"h\",\"Username\":\"u\",\"Secret\":\"s\"}\n\n", Credentials{"h", "u", "s"}},
		{`{"serverurl":"h","username":"u","secret":"","Extra":1}`, Credentials{"h", "u", ""}},
		{`{"ServerURL":"h","Username":"<token>","Secret":"line\nbreak\u00e9"}`, Credentials{"h", "<token>", "line\nbreaké"}},
	}
	for _, tt := range tests {
		got, err := ParseStoreInput([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("ParseStoreInput(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseStoreInputErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
		msg  string
	}{
		{"", ErrBadInput, "no input"},
		{"   \n", ErrBadInput, "no input"},
		{`{"ServerURL":"h","Username":"u","Secret":"s3cret`, ErrBadInput, "ends early"},
		{`{"ServerURL":"h","Username":"u","Secret":s3cret}`, ErrBadInput, "invalid JSON at byte"},
		{`{"ServerURL":"h","Username":"u","Secret":123}`, ErrBadInput, "Secret is a JSON number, not a string"},
		{`["s3cret"]`, ErrBadInput, "want a JSON object"},
		{`{"ServerURL":"h","Username":"u","Secret":"s3cret"} {"more":1}`, ErrBadInput, "more input"},
		{`{"Username":"u","Secret":"s3cret"}`, ErrMissingServerURL, "no credentials server URL"},
		{`{"ServerURL":"h","Secret":"s3cret"}`, ErrMissingUsername, "no credentials username"},
		{`null`, ErrMissingServerURL, ""},
	}
	for _, tt := range tests {
		_, err := ParseStoreInput([]byte(tt.in))
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseStoreInput(%q): %v; want %v with %q", tt.in, err, tt.want, tt.msg)
		}
		if err != nil && strings.Contains(err.Error(), "s3") {
			t.Errorf("ParseStoreInput(%q): error %q quotes the input", tt.in, err)
		}
	}
}

func TestParseServerURLInput(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5000":       "127.0.0.1:5000",
		"127.0.0.1:5000\n":     "127.0.0.1:5000",
		"  https://h/ \r\n":    "https://h/",
		"https://h\n/v1/\n":    "https://h/v1/",
		"https://index.docker": "https://index.docker",
	} {
		if got, err := ParseServerURLInput([]byte(in)); err != nil || got != want {
			t.Errorf("ParseServerURLInput(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "\n", " \r\n\t"} {
		if _, err := ParseServerURLInput([]byte(in)); !errors.Is(err, ErrMissingServerURL) {
			t.Errorf("ParseServerURLInput(%q): %v, want ErrMissingServerURL", in, err)
		}
	}
}

func TestReadInputBounded(t *testing.T) {
	if _, err := ReadInput(strings.NewReader(strings.Repeat("x", MaxInputBytes+1))); !errors.Is(err, ErrBadInput) {
		t.Errorf("ReadInput of too much: %v", err)
	}
	if got, err := ReadInput(strings.NewReader("abc")); err != nil || string(got) != "abc" {
		t.Errorf("ReadInput = %q, %v", got, err)
	}
}

func TestWriteCredentials(t *testing.T) {
	var b strings.Builder
	if err := WriteCredentials(&b, Credentials{"h", "u", "s<>&"}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), `{"ServerURL":"h","Username":"u","Secret":"s\u003c\u003e\u0026"}`+"\n"; got != want {
		t.Errorf("WriteCredentials = %q, want %q", got, want)
	}
}

func TestItemRoundTrip(t *testing.T) {
	for _, c := range []Credentials{{"h", "u", ""}, {"https://index.docker.io/v1/", "<token>", "a,1:b\n\xff"}} {
		if got, err := Decode(Encode(c)); err != nil || got != c {
			t.Errorf("Decode(Encode(%+v)) = %+v, %v", c, got, err)
		}
	}
	if _, err := Decode("git1;1:a,1:b,1:c"); err == nil {
		t.Error("Decode of a git item succeeded")
	}
}
