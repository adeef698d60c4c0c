package git

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
)

// The fuzz targets of the git helper: what git writes to it (requests),
// git's URL form of a credential, ~/.git-credentials, and the helper's own
// item values. The first three are compared with a model of git's own
// reader (gitRead and gitFromURL below, which follow credential_read and
// credential_from_url_1 of git's credential.c step by step), so that the
// helper accepts, ignores and rejects what git does, except where its doc
// comments say it deliberately differs.

// gitCred is a credential as git's struct credential holds it: a nil
// pointer is an absent attribute.
type gitCred struct {
	protocol, host, path, username, password *string
	expiry                                   int64
	refresh                                  string
}

func ptr(s string) *string { return &s }

func (g *gitCred) attr(p *string) Attr {
	if p == nil {
		return Attr{}
	}
	return Set(*p)
}

// credential converts g to this package's Credential.
func (g *gitCred) credential() Credential {
	return Credential{
		Protocol: g.attr(g.protocol), Host: g.attr(g.host), Path: g.attr(g.path),
		Username: g.attr(g.username), Password: g.attr(g.password),
		PasswordExpiry: g.expiry, RefreshToken: g.refresh,
	}
}

// hasNUL reports whether any attribute holds a NUL byte: git's C strings
// would end there, where this package refuses the credential (a NUL
// cannot have come from git).
func (g *gitCred) hasNUL() bool {
	for _, p := range []*string{g.protocol, g.host, g.path, g.username, g.password} {
		if p != nil && strings.IndexByte(*p, 0) >= 0 {
			return true
		}
	}
	return strings.IndexByte(g.refresh, 0) >= 0
}

// gitURLDecode is git's url_decode_mem: %XX with two hex digits decodes,
// anything else stays.
func gitURLDecode(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && len(s)-i >= 3 {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil { // two hex digits: no sign, no prefix in base 16
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// gitFromURL is git's credential_from_url (credential_from_url_1 with
// allow_partial_url 0) on a URL without NUL bytes. ok is false where git
// fails ("url has no scheme", a newline in a component).
func gitFromURL(url string) (g gitCred, ok bool) {
	protoEnd := strings.Index(url, "://")
	if protoEnd <= 0 {
		return gitCred{}, false
	}
	cp := url[protoEnd+3:]
	at := strings.IndexByte(cp, '@')
	colon := strings.IndexByte(cp, ':')
	slash := strings.IndexAny(cp, "/?#")
	if slash < 0 {
		slash = len(cp)
	}
	host := 0
	switch {
	case at < 0 || slash <= at: // proto://host/...
	case colon < 0 || at <= colon: // proto://user@host/...
		g.username = ptr(gitURLDecode(cp[:at]))
		host = at + 1
	default: // proto://user:pass@host/...
		g.username = ptr(gitURLDecode(cp[:colon]))
		g.password = ptr(gitURLDecode(cp[colon+1 : at]))
		host = at + 1
	}
	g.protocol = ptr(url[:protoEnd])
	g.host = ptr(gitURLDecode(cp[host:slash]))
	rest := strings.TrimLeft(cp[slash:], "/")
	if rest != "" {
		// git trims trailing slashes, keeping the first byte. (Of a
		// path with a NUL byte it trims the C string's; such a path is
		// refused here, so which slashes go does not matter.)
		p := gitURLDecode(rest)
		for len(p) > 1 && p[len(p)-1] == '/' {
			p = p[:len(p)-1]
		}
		g.path = ptr(p)
	}
	for _, p := range []*string{g.username, g.password, g.protocol, g.host, g.path} {
		if p != nil && strings.Contains(cStr(*p), "\n") {
			return gitCred{}, false
		}
	}
	return g, true
}

// cStr is s as a C string: up to its first NUL.
func cStr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// gitRead is git's credential_read (git 2.41+) on a request without NUL
// bytes: lines split at "\n" with one "\r" before it dropped, ended by an
// empty line or the end; a line without '=' fails; known keys set
// attributes, url replaces the credential, everything else is ignored.
// password_expiry_utc follows this package's documented reading: a
// positive decimal number, else never.
func gitRead(in string) (g gitCred, ok bool) {
	for _, line := range requestLines(in) {
		key, value, hasEq := strings.Cut(line, "=")
		if !hasEq {
			return gitCred{}, false
		}
		switch key {
		case "username":
			g.username = ptr(value)
		case "password":
			g.password = ptr(value)
		case "protocol":
			g.protocol = ptr(value)
		case "host":
			g.host = ptr(value)
		case "path":
			g.path = ptr(value)
		case "url":
			if g, ok = gitFromURL(value); !ok {
				return gitCred{}, false
			}
		case "password_expiry_utc":
			g.expiry = 0
			if n, err := strconv.ParseInt(value, 10, 64); err == nil && n > 0 {
				g.expiry = n
			}
		case "oauth_refresh_token":
			g.refresh = value
		}
	}
	return g, true
}

// requestLines splits a request into the lines that git reads: up to the
// first empty one, each without its "\n" or "\r\n".
func requestLines(in string) []string {
	var lines []string
	for in != "" {
		line, rest, found := strings.Cut(in, "\n")
		if found {
			line = strings.TrimSuffix(line, "\r")
		}
		if line == "" {
			break
		}
		lines = append(lines, line)
		in = rest
	}
	return lines
}

// formatRequest writes c as git writes a credential to a helper.
func formatRequest(c *Credential) string {
	var b strings.Builder
	for _, a := range []struct {
		key  string
		attr Attr
	}{{"protocol", c.Protocol}, {"host", c.Host}, {"path", c.Path}, {"username", c.Username}, {"password", c.Password}} {
		if a.attr.Present {
			b.WriteString(a.key + "=" + a.attr.Value + "\n")
		}
	}
	if c.PasswordExpiry != 0 {
		b.WriteString("password_expiry_utc=" + strconv.FormatInt(c.PasswordExpiry, 10) + "\n")
	}
	if c.RefreshToken != "" {
		b.WriteString("oauth_refresh_token=" + c.RefreshToken + "\n")
	}
	return b.String()
}

// endsInCR reports whether a value of c ends in "\r": written as a line,
// git (and this package) would read it back without that "\r".
func endsInCR(c *Credential) bool {
	for _, v := range []string{c.Protocol.Value, c.Host.Value, c.Path.Value, c.Username.Value, c.Password.Value, c.RefreshToken} {
		if strings.HasSuffix(v, "\r") {
			return true
		}
	}
	return false
}

// userPart is the "user:password" of a URL in git's form, "" if none.
func userPart(url string) string {
	i := strings.Index(url, "://")
	if i < 0 {
		return ""
	}
	cp := url[i+3:]
	at, slash := strings.IndexByte(cp, '@'), strings.IndexAny(cp, "/?#")
	if at < 0 || slash >= 0 && slash < at {
		return ""
	}
	return cp[:at]
}

// validItemKey is the store's rule for item keys.
var validItemKey = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// FuzzParseRequest reads arbitrary bytes as a request from git and checks:
//   - it never panics, and fails only with ErrBadRequest;
//   - a request with a NUL byte before its end is refused (git could not
//     have sent it), as is one longer than the limits;
//   - otherwise it accepts exactly the requests git's own reader accepts,
//     with the same attributes, unknown keys (capability[], wwwauth[],
//     state[], ...) ignored;
//   - what it accepts, written back as git writes a credential, reads
//     back the same (unless a value ends in "\r", which no line can
//     carry), and WriteResponse's answer reads back as what it answered;
//   - the credential's item key is one the store accepts.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{
		"protocol=https\nhost=github.com\n\n",
		"protocol=https\nhost=github.com\nusername=alice\npassword=ghp_s3cret\n\n",
		"capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=dev.azure.com\npath=org/project/_git/repo\nwwwauth[]=Bearer authorization_uri=https://login.microsoftonline.com/common\nwwwauth[]=Basic realm=\"https://dev.azure.com/\"\n\n",
		"protocol=https\nhost=gitlab.example.com:8443\nusername=oauth2\npassword=gho_token\npassword_expiry_utc=1795780800\noauth_refresh_token=r3fresh\n\n",
		"url=https://bob:p%40ss@example.com/org/repo.git/\nusername=carol\n",
		"protocol=https\r\nhost=h\r\n\r\nnot read\n",
		"protocol=https\nhunter2\n",
		"password=a\x00b\n",
		"url=https://h/%00\n",
		"password_expiry_utc=+17\npassword_expiry_utc=-1\n",
		"quit=1\nstate[]=helper:x\nephemeral=1\nauthtype=Bearer\ncredential=token\ncontinue=1\n",
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseRequest(bytes.NewReader(in))
		if err != nil && !errors.Is(err, ErrBadRequest) {
			t.Fatalf("ParseRequest(%q): %v, want ErrBadRequest", in, err)
		}

		if len(in) > MaxRequestBytes {
			return // this package's limit; git has none
		}
		hasNUL := false
		for _, line := range requestLines(string(in)) {
			if len(line) > MaxLineBytes {
				return // ditto
			}
			hasNUL = hasNUL || strings.IndexByte(line, 0) >= 0
		}
		g, gitOK := gitRead(string(in))
		hasNUL = hasNUL || gitOK && g.hasNUL()
		switch {
		case hasNUL && err == nil:
			t.Fatalf("ParseRequest(%q) accepted a NUL byte", in)
		case hasNUL:
			return
		case gitOK && err != nil:
			t.Fatalf("ParseRequest(%q): %v; git reads it as %+v", in, err, g.credential())
		case !gitOK && err == nil:
			t.Fatalf("ParseRequest(%q) = %+v; git refuses it", in, c)
		case !gitOK:
			return
		case c != g.credential():
			t.Fatalf("ParseRequest(%q) =\n%+v\ngit reads\n%+v", in, c, g.credential())
		}

		if !validItemKey.MatchString(Key(&c)) {
			t.Fatalf("Key(%+v) = %q, not a valid item key", c, Key(&c))
		}
		if endsInCR(&c) {
			return
		}
		again, err := ParseRequest(strings.NewReader(formatRequest(&c)))
		if err != nil || again != c {
			t.Fatalf("ParseRequest(formatRequest(%+v)) = %+v, %v", c, again, err)
		}
		var resp strings.Builder
		now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).Unix()
		if err := WriteResponse(&resp, &c, now); err != nil {
			t.Fatalf("WriteResponse(%+v): %v", c, err)
		}
		answer, err := ParseRequest(strings.NewReader(resp.String()))
		want := Credential{Username: c.Username, RefreshToken: c.RefreshToken}
		if c.Password.Present && !c.Expired(time.Unix(now, 0)) {
			want.Password, want.PasswordExpiry = c.Password, c.PasswordExpiry
		}
		if err != nil || answer != want {
			t.Fatalf("the answer %q reads back as %+v, %v; want %+v", resp.String(), answer, err, want)
		}
	})
}

// FuzzParseURL parses arbitrary strings as git's URL form of a credential
// and checks that ParseURL accepts exactly what git's credential_from_url
// accepts, with the same attributes, except that it refuses a component
// that decodes to a NUL byte (git would cut the string there); that its
// errors never quote the URL's user part; that FormatURL writes what
// ParseURL reads back as the same credential (but for a path that starts
// with "/", which git's credential-store writes the same ambiguous way),
// and that one more round changes nothing; and that the credential's item
// key is one the store accepts.
func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{
		"https://github.com",
		"https://alice:ghp_s3cret@github.com/",
		"https://ci%40corp:p%40ss%3Aw0rd%2F@git.corp.example/team/repo.git",
		"http://:token-only@192.168.1.10:8080",
		"https://h/%2Fabs//",
		"https://u@h?x=1#frag",
		"ssh://git@[::1]:22/path",
		"cert:///etc/ssl/cert.pem",
		"https://u:p%0a@h",
		"https://h/%2F",
		"a@b://c:d@e:f@g/h",
		"https://%zz%4@h%41/%",
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, url string) {
		c, err := ParseURL(url)
		if err != nil && !errors.Is(err, ErrBadURL) {
			t.Fatalf("ParseURL(%q): %v, want ErrBadURL", url, err)
		}
		if err != nil {
			if user := userPart(url); len(user) >= 8 && strings.Contains(err.Error(), user) {
				t.Fatalf("ParseURL(%q): the error %q quotes the user part", url, err)
			}
		}
		if strings.IndexByte(url, 0) >= 0 {
			if err == nil {
				t.Fatalf("ParseURL(%q) accepted a NUL byte", url)
			}
			return
		}
		g, gitOK := gitFromURL(url)
		hasNUL := gitOK && g.hasNUL()
		switch {
		case hasNUL && err == nil:
			t.Fatalf("ParseURL(%q) = %+v, with a NUL byte", url, c)
		case hasNUL:
			return
		case gitOK && err != nil:
			t.Fatalf("ParseURL(%q): %v; git reads it as %+v", url, err, g.credential())
		case !gitOK && err == nil:
			t.Fatalf("ParseURL(%q) = %+v; git refuses it", url, c)
		case !gitOK:
			return
		case c != g.credential():
			t.Fatalf("ParseURL(%q) =\n%+v\ngit reads\n%+v", url, c, g.credential())
		}

		if !validItemKey.MatchString(Key(&c)) {
			t.Fatalf("Key(%+v) = %q, not a valid item key", c, Key(&c))
		}
		c2, err := ParseURL(FormatURL(&c))
		if err != nil {
			t.Fatalf("ParseURL(FormatURL(%+v)) = %v", c, err)
		}
		if c2 != c && !strings.HasPrefix(c.Path.Value, "/") {
			t.Fatalf("ParseURL(FormatURL(%+v)) =\n%+v", c, c2)
		}
		if c3, err := ParseURL(FormatURL(&c2)); err != nil || c3 != c2 {
			t.Fatalf("a second round trip of %+v gives %+v, %v", c2, c3, err)
		}
	})
}

// FuzzParseCredentialsFile parses arbitrary text as ~/.git-credentials
// and checks that every line that is not blank becomes exactly one entry
// or one error; that each entry is what git's credential_from_url reads
// from its line (the "\r" of a CRLF dropped), with a user name and
// password and an encoded size that fits an item; that ShadowedBy names
// the first earlier line of the same identity; and that no error quotes
// its line.
func FuzzParseCredentialsFile(f *testing.F) {
	f.Add("https://alice:ghp_s3cretAlice@github.com\n" +
		"https://bob:glpat-s3cretBob@gitlab.example.com:8443\n" +
		"https://ci%40corp:p%40ss%3Aw0rd%2F@git.corp.example/team/repo.git\n" +
		"\n" +
		"https://alice:older-s3cret@github.com\n" +
		"http://:token-only@192.168.1.10\n")
	f.Add("https://u:p@h\r\nnot a url s3cret\nhttps://h-without-user\nhttps://only-user@h\n   \nhttps://u:p%0A@h")
	f.Add("https://u:p@h/a\nhttps://u:p@h/a/\nhttps://u:p@h/%61\nhttps://U:p@h/a\n")

	f.Fuzz(func(t *testing.T, data string) {
		entries, errs := ParseCredentialsFile(data)
		lines := strings.Split(data, "\n")
		byLine := map[int]FileEntry{}
		first := map[string]int{}
		for _, e := range entries {
			if e.Line < 1 || e.Line > len(lines) || byLine[e.Line] != (FileEntry{}) {
				t.Fatalf("entry at line %d of %d, or twice", e.Line, len(lines))
			}
			byLine[e.Line] = e
			line := strings.TrimSuffix(lines[e.Line-1], "\r")
			g, ok := gitFromURL(line)
			if !ok || g.hasNUL() || e.Credential != g.credential() || !e.Username.Present || !e.Password.Present {
				t.Fatalf("line %d %q became %+v; git reads %+v, %v", e.Line, line, e.Credential, g.credential(), ok)
			}
			if size := len((&Entry{Credential: e.Credential, StoredAt: time.Now().UnixNano()}).Encode()); size > securestore.DefaultMaxValueBytes {
				t.Fatalf("line %d became an entry of %d bytes", e.Line, size)
			}
			key := Key(&e.Credential)
			if earlier, seen := first[key]; seen != (e.ShadowedBy != 0) || seen && e.ShadowedBy != earlier {
				t.Fatalf("line %d: ShadowedBy %d, want %d", e.Line, e.ShadowedBy, earlier)
			} else if !seen {
				first[key] = e.Line
			}
		}
		errLines := map[int]bool{}
		for _, err := range errs {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 || le.Line > len(lines) || errLines[le.Line] || byLine[le.Line] != (FileEntry{}) {
				t.Fatalf("error %v: not a LineError of a line without an entry", err)
			}
			errLines[le.Line] = true
			// The messages name the form a line should have; a line that
			// happens to be part of that example is not quoted from the file.
			msg := strings.ReplaceAll(err.Error(), "protocol://user:password@host", "")
			if line := lines[le.Line-1]; len(line) >= 8 && strings.Contains(msg, line) {
				t.Fatalf("the error %q quotes its line", err)
			}
		}
		for i, line := range lines {
			blank := strings.TrimSpace(strings.TrimSuffix(line, "\r")) == ""
			if got := byLine[i+1] != (FileEntry{}) || errLines[i+1]; got == blank {
				t.Fatalf("line %d %q: entry or error %v, blank %v", i+1, line, got, blank)
			}
		}
	})
}

// FuzzDecodeEntry checks the helper's item values: DecodeEntry of any
// string either fails or gives an entry that encodes and decodes back to
// itself, and an entry made of any attributes decodes from its encoding
// as it was.
func FuzzDecodeEntry(f *testing.F) {
	e := Entry{Credential: Credential{Protocol: Set("https"), Host: Set("github.com"), Username: Set("alice"),
		Password: Set("ghp_s3cret"), PasswordExpiry: 1795780800, RefreshToken: "r"}, StoredAt: 1764201600000000000}
	f.Add(e.Encode(), "https", "h", "p", "u", "pw", int64(0), "", int64(1), uint8(3))
	f.Add("git1;1:x,0:,0:,0:,0:,0:,2:+1,0:,2:-0", "", "", "", "", "", int64(5), "tok", int64(-1), uint8(0))
	f.Add("git1;0:,0:,0:,0:,0:,0:,0:,0:,1:0", "a\nb", "\x00", "/", "", "\xff", int64(1)<<62, "", int64(0), uint8(2))

	f.Fuzz(func(t *testing.T, value, protocol, host, path, username, password string, expiry int64, refresh string, storedAt int64, flags uint8) {
		if d, err := DecodeEntry(value); err == nil {
			if again, err := DecodeEntry(d.Encode()); err != nil || again != d {
				t.Fatalf("DecodeEntry(%q) = %+v, which encodes as %q and decodes as %+v, %v", value, d, d.Encode(), again, err)
			}
		}
		e := Entry{Credential: Credential{
			Protocol: Set(protocol), Host: Attr{host, flags&1 != 0}, Path: Attr{path, flags&2 != 0},
			Username: Set(username), Password: Set(password), PasswordExpiry: max(expiry, 0), RefreshToken: refresh,
		}, StoredAt: storedAt}
		if !e.Host.Present {
			e.Host.Value = ""
		}
		if !e.Path.Present {
			e.Path.Value = ""
		}
		if len(e.Encode()) > 99999 {
			return
		}
		if got, err := DecodeEntry(e.Encode()); err != nil || got != e {
			t.Fatalf("DecodeEntry(Encode(%+v)) = %+v, %v", e, got, err)
		}
	})
}
