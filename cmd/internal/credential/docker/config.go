package docker

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/securestore-go/securestore"
)

// This file moves the credentials of ~/.docker/config.json into the store,
// for `securestore import-docker-config`. Docker keeps them there, without
// a credsStore, as
//
//	"auths": { "registry.example.com": { "auth": base64("user:password") } }
//
// or, for registries that hand out tokens, with "identitytoken", which a
// credential helper stores as Username "<token>" and Secret the token (as
// docker's own native store does).

// CredsStore is the credsStore value that makes docker use this helper.
const CredsStore = "securestore"

// tokenUsername is the Username docker gives an identity token.
const tokenUsername = "<token>"

// secretFields are the fields of an auths entry that hold a credential,
// removed once it is in the store. "username" and "password" are not
// written by docker, but it reads them from a hand-written file.
var secretFields = []string{"auth", "identitytoken", "username", "password"}

// Config is a parsed config.json that keeps every field it does not know,
// so that it can be written back with only the credentials taken out.
type Config struct {
	top   map[string]json.RawMessage
	auths map[string]map[string]json.RawMessage
	// Credentials are the credentials found in auths, by server URL in
	// sorted order.
	Credentials []Credentials
}

// ConfigError is an auths entry that cannot be moved. It names the
// entry's server URL, never its credential.
type ConfigError struct {
	ServerURL string
	Reason    string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("auths entry %s: %s", describeServerURL(e.ServerURL), e.Reason)
}

// describeServerURL quotes a server URL for a message unless it looks like
// it holds a password.
func describeServerURL(s string) string {
	if strings.Contains(s, "@") {
		return "(a server URL with a user name or password in it)"
	}
	return fmt.Sprintf("%q", s)
}

// ParseConfig parses config.json. A file that is not a JSON object is an
// error; entries that cannot be moved (a bad auth field, a registrytoken,
// two URLs of one registry) come back in problems, and the caller must
// then leave the file alone.
func ParseConfig(data []byte) (cfg *Config, problems []error, err error) {
	cfg = &Config{auths: map[string]map[string]json.RawMessage{}}
	if err := json.Unmarshal(data, &cfg.top); err != nil || cfg.top == nil {
		// Say where, not what: encoding/json quotes the bad character.
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, nil, fmt.Errorf("%w: invalid JSON at byte %d", ErrBadInput, syntax.Offset)
		}
		return nil, nil, fmt.Errorf("%w: the file is not a JSON object", ErrBadInput)
	}
	// Docker's loader (encoding/json into its ConfigFile) matches names
	// in any case, the last of two spellings winning. Which one is last
	// is lost in a map, so a file that spells these two otherwise is
	// refused rather than half read.
	for k := range cfg.top {
		for _, name := range []string{"auths", "credsStore"} {
			if k != name && strings.EqualFold(k, name) {
				return nil, nil, fmt.Errorf("%w: docker reads the key %q as %q; write it %q", ErrBadInput, k, name, name)
			}
		}
	}
	// The entries as raw JSON too: entryCredentials reads them as docker
	// does, which needs their keys in the file's order.
	var entries map[string]json.RawMessage
	if raw, ok := cfg.top["auths"]; ok {
		if json.Unmarshal(raw, &cfg.auths) != nil || json.Unmarshal(raw, &entries) != nil {
			return nil, nil, fmt.Errorf("%w: \"auths\" is not an object of objects", ErrBadInput)
		}
	}
	registries := map[string]string{} // item key → first server URL
	for _, serverURL := range slices.Sorted(maps.Keys(cfg.auths)) {
		c, found, err := entryCredentials(serverURL, entries[serverURL])
		if err != nil {
			problems = append(problems, &ConfigError{serverURL, err.Error()})
			continue
		}
		if !found {
			continue // nothing to move, as for registries already in a credsStore
		}
		r, err := ParseServerURL(serverURL)
		if err != nil {
			problems = append(problems, &ConfigError{serverURL, err.Error()})
			continue
		}
		if size := len(Encode(c)); size > securestore.DefaultMaxValueBytes {
			problems = append(problems, &ConfigError{serverURL, fmt.Sprintf(
				"the credential is %d bytes once encoded, more than the %d bytes an item holds", size, securestore.DefaultMaxValueBytes)})
			continue
		}
		key := Key(r)
		if other, ok := registries[key]; ok {
			problems = append(problems, &ConfigError{serverURL, fmt.Sprintf(
				"names the same registry as %s, and the helper keeps one credential per registry; remove one of them", describeServerURL(other))})
			continue
		}
		registries[key] = serverURL
		cfg.Credentials = append(cfg.Credentials, c)
	}
	return cfg, problems, nil
}

// authEntry is what docker's loader reads of an auths entry: the
// credential fields of its types.AuthConfig (github.com/docker/cli).
// encoding/json matches their names in any case, and of two spellings of
// one field the later wins, as it does for docker.
type authEntry struct {
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	RegistryToken string `json:"registrytoken"`
}

// entryCredentials reads the credential of one auths entry, as docker's
// config loader does. found is false for an entry without one.
func entryCredentials(serverURL string, entry json.RawMessage) (c Credentials, found bool, err error) {
	var e authEntry
	if err := json.Unmarshal(entry, &e); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			return Credentials{}, false, fmt.Errorf("%q is not a string", typ.Field)
		}
		return Credentials{}, false, errors.New("the entry is not an object of strings")
	}
	if e.RegistryToken != "" {
		return Credentials{}, false, errors.New(`it holds a "registrytoken", which credential helpers cannot store`)
	}
	// Docker decodes "auth" whenever it is there, and fails to load the
	// whole file if it does not decode, even beside an identity token.
	if e.Auth != "" {
		decoded, err := base64.StdEncoding.DecodeString(e.Auth)
		if err != nil {
			return Credentials{}, false, errors.New(`"auth" is not base64`)
		}
		user, pass, ok := bytes.Cut(decoded, []byte(":"))
		if !ok {
			return Credentials{}, false, errors.New(`"auth" does not decode to user:password`)
		}
		if len(user) == 0 {
			return Credentials{}, false, errors.New("the user name is empty")
		}
		e.Username, e.Password = string(user), strings.Trim(string(pass), "\x00")
	}
	c.ServerURL = serverURL
	switch {
	case e.IdentityToken != "":
		c.Username, c.Secret = tokenUsername, e.IdentityToken
	case e.Username != "" || e.Password != "":
		c.Username, c.Secret = e.Username, e.Password
	default:
		return Credentials{}, false, nil
	}
	if c.Username == "" {
		return Credentials{}, false, errors.New("the user name is empty")
	}
	return c, true, nil
}

// Import stores every credential of cfg, then reads each back and
// compares it. An error means the file must be kept as it is.
func (h *Helper) Import(ctx context.Context, cfg *Config) error {
	for _, c := range cfg.Credentials {
		if err := h.Store(ctx, c); err != nil {
			return fmt.Errorf("auths entry %s: %w", describeServerURL(c.ServerURL), err)
		}
	}
	for _, c := range cfg.Credentials {
		r, _ := ParseServerURL(c.ServerURL) // parsed by ParseConfig
		got, err := h.read(ctx, Key(r))
		if err != nil {
			return fmt.Errorf("auths entry %s: reading it back: %w", describeServerURL(c.ServerURL), err)
		}
		if got != c {
			return fmt.Errorf("auths entry %s: the credential read back differs from the one stored", describeServerURL(c.ServerURL))
		}
	}
	return nil
}

// WithoutCredentials returns the config with the imported credentials
// taken out of auths (each entry stays, as docker leaves it for a
// credsStore, with its other fields) and credsStore set to this helper,
// indented with tabs as docker writes it. previous is the credsStore it
// replaced, "" for none.
func (cfg *Config) WithoutCredentials() (data []byte, previous string, err error) {
	for _, c := range cfg.Credentials {
		entry := cfg.auths[c.ServerURL]
		for k := range entry {
			if slices.ContainsFunc(secretFields, func(f string) bool { return strings.EqualFold(k, f) }) {
				delete(entry, k) // in any spelling docker reads
			}
		}
	}
	if raw, ok := cfg.top["credsStore"]; ok {
		_ = json.Unmarshal(raw, &previous)
	}
	if cfg.top["auths"], err = json.Marshal(cfg.auths); err != nil {
		return nil, "", err
	}
	if cfg.top["credsStore"], err = json.Marshal(CredsStore); err != nil {
		return nil, "", err
	}
	data, err = json.MarshalIndent(cfg.top, "", "\t")
	if previous == CredsStore {
		previous = ""
	}
	return append(data, '\n'), previous, err
}
