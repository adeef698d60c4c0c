package docker

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
)

// The fuzz targets of the docker helper: store's JSON, the server URLs of
// get and erase, the helper's item values, and ~/.docker/config.json. The
// config is compared with a model of docker's own loader (dockerView),
// since the import must move exactly the credentials docker would use.

// validItemKey is the store's rule for item keys.
var validItemKey = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// storeInputError is every message ParseStoreInput may give: fixed text,
// a byte offset, a field name and a JSON kind, never the input.
var storeInputError = regexp.MustCompile(`^(bad input: (no input; |the JSON ends early; |invalid JSON at byte \d+; |` +
	`(ServerURL|Username|Secret) is a JSON [a-z]+, not a string; |more input after the JSON object$)?` +
	`(want a JSON object \{"ServerURL": "...", "Username": "...", "Secret": "..."\})?|` +
	MissingServerURLMessage + `|` + MissingUsernameMessage + `)$`)

// FuzzParseStoreInput feeds store's parser arbitrary bytes and checks that
// it fails only with one of its fixed messages (which never quote the
// input, where the secret is), that what it accepts has a server URL and
// a user name, and that WriteCredentials writes it as JSON that parses
// back to the same credentials.
func FuzzParseStoreInput(f *testing.F) {
	for _, seed := range []string{
		`{"ServerURL":"https://index.docker.io/v1/","Username":"hubuser","Secret":"dckr_pat_s3cret"}`,
		`{"ServerURL":"ghcr.io","Username":"<token>","Secret":"eyJhbGciOiJSUzI1NiJ9.e30.s3cret"}` + "\n",
		`{"serverurl":"127.0.0.1:5000","username":"ci","secret":"","Extra":1}`,
		`{"ServerURL":"h","Username":"u","Secret":"line\nbreak\u00e9\ud800"}`,
		`{"ServerURL":"h","Username":"u","Secret":12345678}`,
		`{"ServerURL":"h","Username":"u"} {"more":1}`,
		`{"ServerURL":"h","Username":"u","Secret":"s3cret`,
		`null`, ``, `[]`, `{"ServerURL":["s3cret"]}`,
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseStoreInput(data)
		if err != nil {
			if !storeInputError.MatchString(err.Error()) {
				t.Fatalf("ParseStoreInput(%q): the error %q is not one of the fixed messages", data, err)
			}
			return
		}
		if c.ServerURL == "" || c.Username == "" {
			t.Fatalf("ParseStoreInput(%q) = %+v, without a server URL or user name", data, c)
		}
		var out bytes.Buffer
		if err := WriteCredentials(&out, c); err != nil {
			t.Fatal(err)
		}
		if again, err := ParseStoreInput(out.Bytes()); err != nil || again != c {
			t.Fatalf("ParseStoreInput(WriteCredentials(%+v)) = %+v, %v", c, again, err)
		}
	})
}

// FuzzServerURL reads arbitrary bytes as the input of get or erase and
// parses the server URL. It checks that the input reader returns a
// trimmed URL without line breaks; that ParseServerURL gives a registry
// with a lower-case host and a path without a trailing slash, whose key
// the store accepts; that its errors never quote a user name or password
// in the URL; and that normalising is idempotent: the registry's own
// String() parses back to the same registry, so every spelling of a
// registry finds the same item, including the one list prints.
func FuzzServerURL(f *testing.F) {
	for _, seed := range []string{
		"127.0.0.1:5000", "https://index.docker.io/v1/\n", "  https://h/ \r\n", "https://h\n/v1/\n",
		"Registry.Example.COM:443", "[::1]:5000", "https://[fe80::1%25eth0]:5000/v2/", "https://h/a%2Fb/%252F", "//127.0.0.1:5000//",
		"https://registry.example.com/v2/?x=1#f", "HTTPS://ghcr.io/Org/", "https://user:s3cret@registry.example.com",
		"ftp://registry.example.com", "registry.example.com:port", "http://[::1", "",
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		urls := []string{string(data)}
		in, err := ParseServerURLInput(data)
		switch {
		case err != nil && !errors.Is(err, ErrMissingServerURL):
			t.Fatalf("ParseServerURLInput(%q): %v", data, err)
		case err == nil && (in == "" || strings.Contains(in, "\n") || strings.TrimSpace(in) != in):
			t.Fatalf("ParseServerURLInput(%q) = %q", data, in)
		case err == nil:
			urls = append(urls, in)
		}
		for _, s := range urls {
			r, err := ParseServerURL(s)
			if err != nil {
				if !errors.Is(err, ErrBadServerURL) {
					t.Fatalf("ParseServerURL(%q): %v, want ErrBadServerURL", s, err)
				}
				// A canary in the user part must not reach the error (the
				// bytes of the user part itself may, when they also make
				// up a host or port that the error quotes).
				if user := userInfo(s); user != "" {
					const canary = "zQjXcanary"
					_, err := ParseServerURL(strings.Replace(s, user+"@", canary+user+"@", 1))
					if err != nil && strings.Contains(err.Error(), canary) {
						t.Fatalf("ParseServerURL(%q): the error %q quotes the user part", s, err)
					}
				}
				continue
			}
			if r.Host == "" || strings.ToLower(r.Host) != r.Host || strings.HasSuffix(r.Path, "/") {
				t.Fatalf("ParseServerURL(%q) = %+v", s, r)
			}
			if !validItemKey.MatchString(Key(r)) {
				t.Fatalf("Key(%+v) = %q, not a valid item key", r, Key(r))
			}
			again, err := ParseServerURL(r.String())
			if err != nil || again != r {
				t.Fatalf("ParseServerURL(%q) = %+v, whose String %q parses as %+v, %v", s, r, r.String(), again, err)
			}
		}
	})
}

// userInfo is the "user:password" part of a server URL, "" if none.
func userInfo(s string) string {
	if i := strings.Index(s, "//"); i >= 0 {
		s = s[i+2:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		return s[:at]
	}
	return ""
}

// FuzzDecodeItem checks the helper's item values: Decode of any string
// either fails or gives credentials that Encode turns back into exactly
// that string, and any credentials decode from their encoding as they
// were.
func FuzzDecodeItem(f *testing.F) {
	f.Add(Encode(Credentials{"https://index.docker.io/v1/", "hubuser", "s3cret"}), "127.0.0.1:5000", "<token>", "a,1:b\n\xff")
	f.Add("docker1;0:,0:,0:", "", "", "")
	f.Add("git1;1:a,1:b,1:c", "x", "y", "z")

	f.Fuzz(func(t *testing.T, value, serverURL, username, secret string) {
		if c, err := Decode(value); err == nil && Encode(c) != value {
			t.Fatalf("Decode(%q) = %+v, which encodes as %q", value, c, Encode(c))
		}
		c := Credentials{serverURL, username, secret}
		if got, err := Decode(Encode(c)); err != nil || got != c {
			t.Fatalf("Decode(Encode(%+v)) = %+v, %v", c, got, err)
		}
	})
}

// dockerAuthConfig and dockerConfigFile are the parts of docker's
// configfile.ConfigFile and types.AuthConfig (github.com/docker/cli) that
// hold credentials, with docker's JSON names; encoding/json matches them
// as docker's loader does, names in any case, the last duplicate winning.
type dockerAuthConfig struct {
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

type dockerConfigFile struct {
	AuthConfigs      map[string]dockerAuthConfig `json:"auths"`
	CredentialsStore string                      `json:"credsStore,omitempty"`
}

// dockerCredential is what docker would hand a credential helper for one
// auths entry: identity token, else the auth field decoded as docker's
// decodeAuth does, else username and password. bad is set where docker's
// loader fails on the entry; none where the entry holds no credential.
type dockerCredential struct {
	c             Credentials
	none, bad     bool
	registryToken bool
}

// dockerView loads data as docker's LoadFromReader does, for the
// credential of each auths entry and the credsStore. ok is false where
// docker cannot read the file's JSON at all.
func dockerView(data []byte) (creds map[string]dockerCredential, credsStore string, ok bool) {
	var cf dockerConfigFile
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&cf); err != nil {
		return nil, "", false
	}
	creds = map[string]dockerCredential{}
	for url, ac := range cf.AuthConfigs {
		dc := dockerCredential{registryToken: ac.RegistryToken != ""}
		if ac.Auth != "" {
			decoded, err := base64.StdEncoding.DecodeString(ac.Auth)
			user, pass, found := strings.Cut(string(decoded), ":")
			if err != nil || !found || user == "" {
				dc.bad = true
			}
			ac.Username, ac.Password = user, strings.Trim(pass, "\x00")
		}
		switch {
		case ac.IdentityToken != "":
			dc.c = Credentials{url, tokenUsername, ac.IdentityToken}
		case ac.Username != "" || ac.Password != "":
			dc.c = Credentials{url, ac.Username, ac.Password}
		default:
			dc.none = true
		}
		creds[url] = dc
	}
	return creds, cf.CredentialsStore, true
}

// FuzzParseConfig reads arbitrary bytes as ~/.docker/config.json. It
// checks that:
//   - ParseConfig never panics and fails only with ErrBadInput;
//   - every credential it would import is the one docker's loader reads
//     for that entry, has a user name, a server URL the helper parses and
//     an encoded size that fits an item, and no two name one registry;
//   - every entry where docker has a credential (or fails) is imported or
//     reported as a problem, never silently left behind;
//   - problems never quote a credential;
//   - after a clean parse, the rewritten file holds no credential docker
//     would read for an imported entry, names this helper as docker's
//     credsStore, reports the credsStore it replaced, and keeps every
//     other field as it was.
func FuzzParseConfig(f *testing.F) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, seed := range []string{
		`{"auths":{"https://index.docker.io/v1/":{"auth":"` + b64("hubuser:hub-s3cret:with-colon") + `"},` +
			`"127.0.0.1:5000":{"auth":"` + b64("ci:registry-s3cret") + `","email":"ci@example.com"},` +
			`"ghcr.io":{"auth":"` + b64("ignored:ignored") + `","identitytoken":"token-s3cret"},"quay.io":{}},` +
			`"credHelpers":{"123456789.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"},"psFormat":"table {{.ID}}",` +
			`"proxies":{"default":{"httpProxy":"http://proxy:3128"}}}`,
		`{"credsStore":"desktop","auths":{"r.example":{"auth":"` + b64("u:p\x00\x00") + `"}}}`,
		`{"auths":{"a.example":{"auth":"not base64 s3cret!"},"b.example":{"auth":"` + b64("no-colon") + `"},` +
			`"d.example":{"registrytoken":"s3cret-token"},"e.example":{"auth":42},"https://f.example/":{"username":"u","password":"p"},` +
			`"f.example":{"auth":"` + b64("u:s3cret-2") + `"},"https://user:s3cret@h.example":{"auth":"` + b64("u:p") + `"}}}`,
		`{"auths":null}`, `{}`, `[]`, ``, `{"auths":{"h":null,"i":{}}}`,
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, problems, err := ParseConfig(data)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("ParseConfig(%q): %v, want ErrBadInput", data, err)
			}
			return
		}
		// The credentials docker reads, long enough to tell apart from
		// the messages' own words, and not also part of a server URL
		// (which the messages name).
		view, viewStore, viewOK := dockerView(data)
		secrets := map[string]bool{}
		for _, dc := range view {
			for _, s := range []string{dc.c.Secret, dc.c.Username} {
				secrets[s] = len(s) >= 6 && s != tokenUsername
			}
		}
		for url := range view {
			for s := range secrets {
				if strings.Contains(url, s) {
					secrets[s] = false
				}
			}
		}
		imported := map[string]Credentials{}
		keys := map[string]bool{}
		for _, c := range cfg.Credentials {
			if c.Username == "" {
				t.Fatalf("imports a credential without a user name for %q", c.ServerURL)
			}
			r, err := ParseServerURL(c.ServerURL)
			if err != nil {
				t.Fatalf("imports a credential for %q, which does not parse: %v", c.ServerURL, err)
			}
			if keys[Key(r)] {
				t.Fatalf("imports two credentials for the registry of %q", c.ServerURL)
			}
			keys[Key(r)] = true
			if len(Encode(c)) > securestore.DefaultMaxValueBytes {
				t.Fatalf("imports a credential of %d bytes", len(Encode(c)))
			}
			if viewOK {
				if dc, ok := view[c.ServerURL]; !ok || dc.bad || dc.none || dc.c != c {
					t.Fatalf("imports %+v for %q, where docker reads %+v", c, c.ServerURL, dc)
				}
			}
			imported[c.ServerURL] = c
		}
		problem := map[string]bool{}
		for _, p := range problems {
			var ce *ConfigError
			if !errors.As(p, &ce) {
				t.Fatalf("problem %v is not a ConfigError", p)
			}
			problem[ce.ServerURL] = true
			for s, secret := range secrets {
				if secret && strings.Contains(p.Error(), s) {
					t.Fatalf("the problem %q quotes a credential", p)
				}
			}
		}
		if viewOK {
			for url, dc := range view {
				if (dc.bad || dc.registryToken || !dc.none) && imported[url] == (Credentials{}) && !problem[url] {
					t.Fatalf("docker reads %+v for %q, which is neither imported nor reported", dc, url)
				}
			}
		}
		if len(problems) > 0 {
			return // the import stops there, and the file is not rewritten
		}

		out, previous, err := cfg.WithoutCredentials()
		if err != nil {
			t.Fatalf("WithoutCredentials: %v", err)
		}
		after, afterStore, ok := dockerView(out)
		if !ok {
			t.Fatalf("docker cannot read the rewritten file %q", out)
		}
		if afterStore != CredsStore {
			t.Fatalf("the rewritten file %q has credsStore %q for docker", out, afterStore)
		}
		if viewOK && viewStore != CredsStore && previous != viewStore {
			t.Fatalf("WithoutCredentials reports the previous credsStore %q; docker read %q", previous, viewStore)
		}
		for url := range imported {
			if dc := after[url]; !dc.none || dc.bad || dc.registryToken {
				t.Fatalf("the rewritten file %q still holds a credential for %q: %+v", out, url, dc)
			}
		}
		var before, rewritten map[string]json.RawMessage
		if json.Unmarshal(data, &before) != nil || json.Unmarshal(out, &rewritten) != nil {
			t.Fatalf("the file or its rewrite is not a JSON object: %q", out)
		}
		for k, v := range before {
			if k == "auths" || k == "credsStore" {
				continue
			}
			if !jsonEqual(v, rewritten[k]) {
				t.Fatalf("the rewrite changed %q from %s to %s", k, v, rewritten[k])
			}
		}
	})
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(a, b json.RawMessage) bool {
	decode := func(raw json.RawMessage) (any, bool) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		return v, dec.Decode(&v) == nil
	}
	va, okA := decode(a)
	vb, okB := decode(b)
	return okA && okB && reflect.DeepEqual(va, vb)
}
