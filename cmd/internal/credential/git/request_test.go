package git

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name, in string
		want     Credential
	}{
		{"empty", "", Credential{}},
		{"fields", "protocol=https\nhost=example.com:8443\npath=org/repo.git\nusername=alice\npassword=p=w\n",
			Credential{Protocol: Set("https"), Host: Set("example.com:8443"), Path: Set("org/repo.git"), Username: Set("alice"), Password: Set("p=w")}},
		{"empty username is present", "protocol=https\nhost=h\nusername=\n",
			Credential{Protocol: Set("https"), Host: Set("h"), Username: Set("")}},
		{"crlf", "protocol=https\r\nhost=h\r\n", Credential{Protocol: Set("https"), Host: Set("h")}},
		{"no final newline", "protocol=https\nhost=h", Credential{Protocol: Set("https"), Host: Set("h")}},
		{"blank line ends it", "protocol=https\n\nhost=h\nthis is not read\n", Credential{Protocol: Set("https")}},
		{"unknown keys ignored", "protocol=https\ncapability[]=authtype\nwwwauth[]=Basic realm=x\nquit=0\nhost=h\n",
			Credential{Protocol: Set("https"), Host: Set("h")}},
		{"later wins", "host=a\nhost=b\n", Credential{Host: Set("b")}},
		{"expiry and refresh token", "password_expiry_utc=1700000000\noauth_refresh_token=r3fresh\n",
			Credential{PasswordExpiry: 1700000000, RefreshToken: "r3fresh"}},
		{"expiry 0 is none", "password_expiry_utc=0\n", Credential{}},
		{"expiry garbage is none", "password_expiry_utc=soon\n", Credential{}},
		{"negative expiry is none", "password_expiry_utc=-5\n", Credential{}},
		{"url replaces what came before", "protocol=http\nhost=old\npath=p\nurl=https://bob:s3cret@example.com/x/\n",
			Credential{Protocol: Set("https"), Host: Set("example.com"), Path: Set("x"), Username: Set("bob"), Password: Set("s3cret")}},
		{"fields after url apply", "url=https://example.com\nusername=carol\n",
			Credential{Protocol: Set("https"), Host: Set("example.com"), Username: Set("carol")}},
	}
	for _, tt := range tests {
		got, err := ParseRequest(strings.NewReader(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("%s: ParseRequest(%q) =\n%+v, %v\nwant %+v", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct{ name, in, msg string }{
		{"no equals sign", "protocol=https\nhunter2-password-pasted\n", "line 2: no '='"},
		{"NUL", "password=s3c\x00ret\n", `line 1: the value of "password" holds a NUL byte`},
		{"NUL in an unknown key", "protocol=https\nx-s3c\x00ret=1\n", "line 2: the key holds a NUL byte"},
		{"bad url", "url=s3cret-no-scheme\n", "line 1: url: bad credential URL: no scheme"},
		{"newline in url", "url=https://u:s3cret%0a@h\n", "line 1: url: bad credential URL: the password holds a newline"},
		{"long line", "password=" + strings.Repeat("s", MaxLineBytes) + "\n", "line 1 is longer than"},
		{"long request", strings.Repeat("x-unknown=s3cret\n", MaxRequestBytes/16), "longer than 1048576 bytes"},
	}
	for _, tt := range tests {
		_, err := ParseRequest(strings.NewReader(tt.in))
		if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %v, want ErrBadRequest with %q", tt.name, err, tt.msg)
			continue
		}
		if strings.Contains(err.Error(), "s3c") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error %q repeats the input", tt.name, err)
		}
	}
	boom := errors.New("boom")
	if _, err := ParseRequest(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("failing reader: %v", err)
	}
}

func TestWriteResponse(t *testing.T) {
	const now = 1_700_000_000
	tests := []struct {
		name string
		c    Credential
		want string
	}{
		{"plain", Credential{Username: Set("alice"), Password: Set("pw")}, "username=alice\npassword=pw\n"},
		{"empty username", Credential{Username: Set(""), Password: Set("pw")}, "username=\npassword=pw\n"},
		{"unexpired", Credential{Username: Set("a"), Password: Set("tok"), PasswordExpiry: now + 1, RefreshToken: "r"},
			"username=a\npassword=tok\npassword_expiry_utc=1700000001\noauth_refresh_token=r\n"},
		{"expired: no password, refresh token kept", Credential{Username: Set("a"), Password: Set("tok"), PasswordExpiry: now, RefreshToken: "r"},
			"username=a\noauth_refresh_token=r\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := WriteResponse(&b, &tt.c, now); err != nil || b.String() != tt.want {
			t.Errorf("%s: wrote %q, %v; want %q", tt.name, b.String(), err, tt.want)
		}
	}
	var b strings.Builder
	bad := Credential{Username: Set("a"), Password: Set("pw\nusername=evil")}
	if err := WriteResponse(&b, &bad, now); err == nil || b.Len() != 0 || strings.Contains(err.Error(), "evil") {
		t.Errorf("a newline in a value: wrote %q, %v; want an error and nothing written", b.String(), err)
	}
}
