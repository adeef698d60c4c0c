package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// A config.json as docker writes it after logins without a credsStore,
// with some of everything docker keeps there.
var dockerConfig = `{
	"auths": {
		"https://index.docker.io/v1/": {
			"auth": "` + b64("hubuser:hub-s3cret:with-colon") + `"
		},
		"127.0.0.1:5000": {
			"auth": "` + b64("ci:registry-s3cret") + `",
			"email": "ci@example.com"
		},
		"ghcr.io": {
			"auth": "` + b64("ignored:ignored") + `",
			"identitytoken": "token-s3cret"
		},
		"quay.io": {}
	},
	"credHelpers": {
		"123456789.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"
	},
	"psFormat": "table {{.ID}}",
	"proxies": {"default": {"httpProxy": "http://proxy:3128"}}
}`

func TestParseConfig(t *testing.T) {
	cfg, problems, err := ParseConfig([]byte(dockerConfig))
	if err != nil || len(problems) != 0 {
		t.Fatalf("ParseConfig: %v, %v", err, problems)
	}
	want := []Credentials{
		{"127.0.0.1:5000", "ci", "registry-s3cret"},
		{"ghcr.io", "<token>", "token-s3cret"},
		{"https://index.docker.io/v1/", "hubuser", "hub-s3cret:with-colon"},
	}
	if len(cfg.Credentials) != len(want) {
		t.Fatalf("credentials %+v, want %+v", cfg.Credentials, want)
	}
	for i := range want {
		if cfg.Credentials[i] != want[i] {
			t.Errorf("credential %d = %+v, want %+v", i, cfg.Credentials[i], want[i])
		}
	}
}

func TestParseConfigProblems(t *testing.T) {
	config := `{"auths": {
		"a.example": {"auth": "not base64 s3cret!"},
		"b.example": {"auth": "` + b64("no-colon-s3cret") + `"},
		"c.example": {"auth": "` + b64(":s3cret-without-user") + `"},
		"d.example": {"registrytoken": "s3cret-token"},
		"e.example": {"auth": 42},
		"https://f.example/": {"auth": "` + b64("u:s3cret-1") + `"},
		"f.example": {"auth": "` + b64("u:s3cret-2") + `"},
		"ftp://g.example": {"auth": "` + b64("u:s3cret") + `"},
		"https://user:s3cret@h.example": {"auth": "` + b64("u:s3cret") + `"},
		"ok.example": {"auth": "` + b64("u:fine") + `"}
	}}`
	cfg, problems, err := ParseConfig([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	wantProblems := []string{
		`"a.example": "auth" is not base64`,
		`"b.example": "auth" does not decode to user:password`,
		`"c.example": the user name is empty`,
		`"d.example": it holds a "registrytoken"`,
		`"e.example": "auth" is not a string`,
		`"ftp://g.example": bad server URL: unsupported scheme "ftp"`,
		`"https://f.example/": names the same registry as "f.example"`,
		`(a server URL with a user name or password in it): bad server URL`,
	}
	if len(problems) != len(wantProblems) {
		t.Fatalf("problems:\n%v\nwant %d", problems, len(wantProblems))
	}
	for i, p := range problems {
		if !strings.Contains(p.Error(), wantProblems[i]) {
			t.Errorf("problem %d = %q, want %q", i, p, wantProblems[i])
		}
		if strings.Contains(p.Error(), "s3cret") {
			t.Errorf("problem %q quotes a secret", p)
		}
	}
	if len(cfg.Credentials) != 2 { // f.example and ok.example
		t.Errorf("credentials %+v", cfg.Credentials)
	}
	for _, bad := range []string{"", "[]", "null", `{"auths": []}`, `{"auths": {"x": "s3cret"}}`, `{"auths": {` + "s3cret"} {
		_, _, err := ParseConfig([]byte(bad))
		if !errors.Is(err, ErrBadInput) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseConfig(%q): %v", bad, err)
		}
	}
}

func TestImportAndRewrite(t *testing.T) {
	ctx := context.Background()
	h := testHelper(t)
	cfg, problems, err := ParseConfig([]byte(dockerConfig))
	if err != nil || len(problems) != 0 {
		t.Fatal(err, problems)
	}
	if err := h.Import(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Credentials {
		got, err := h.Get(ctx, c.ServerURL)
		if err != nil || got != c {
			t.Errorf("Get(%q) = %+v, %v; want %+v", c.ServerURL, got, err, c)
		}
	}
	data, previous, err := cfg.WithoutCredentials()
	if err != nil || previous != "" {
		t.Fatal(err, previous)
	}
	if s := string(data); strings.Contains(s, "s3cret") || strings.Contains(s, `"auth"`) || strings.Contains(s, "identitytoken") {
		t.Errorf("the rewritten config still holds credentials:\n%s", s)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"auths": map[string]any{
			"https://index.docker.io/v1/": map[string]any{},
			"127.0.0.1:5000":              map[string]any{"email": "ci@example.com"},
			"ghcr.io":                     map[string]any{},
			"quay.io":                     map[string]any{},
		},
		"credHelpers": map[string]any{"123456789.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"},
		"credsStore":  "securestore",
		"psFormat":    "table {{.ID}}",
		"proxies":     map[string]any{"default": map[string]any{"httpProxy": "http://proxy:3128"}},
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("rewritten config\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	if !strings.HasPrefix(string(data), "{\n\t\"auths\"") || !strings.HasSuffix(string(data), "}\n") {
		t.Errorf("not indented as docker writes it:\n%s", data)
	}

	// A config that named another credsStore says which.
	cfg, _, _ = ParseConfig([]byte(`{"credsStore": "desktop", "auths": {"r.example": {"auth": "` + b64("u:p") + `"}}}`))
	if _, previous, _ := cfg.WithoutCredentials(); previous != "desktop" {
		t.Errorf("previous credsStore = %q, want desktop", previous)
	}
}

// TestParseConfigSpellings: docker's loader reads field names in any case,
// so the import does too; top-level keys it would read in another case
// are refused, since which spelling docker uses cannot be told here.
func TestParseConfigSpellings(t *testing.T) {
	cfg, problems, err := ParseConfig([]byte(`{"auths": {"r.example": {"Auth": "` + b64("u:s3cret") + `", "EMAIL": "e"}}}`))
	if err != nil || len(problems) != 0 || len(cfg.Credentials) != 1 || cfg.Credentials[0] != (Credentials{"r.example", "u", "s3cret"}) {
		t.Fatalf("ParseConfig with \"Auth\": %+v, %v, %v", cfg, problems, err)
	}
	data, _, err := cfg.WithoutCredentials()
	if err != nil || strings.Contains(string(data), "s3cret") || !strings.Contains(string(data), `"EMAIL": "e"`) {
		t.Errorf("rewritten: %s, %v", data, err)
	}
	for _, bad := range []string{`{"Auths": {}}`, `{"auths": {}, "CredsStore": "desktop"}`} {
		if _, _, err := ParseConfig([]byte(bad)); !errors.Is(err, ErrBadInput) {
			t.Errorf("ParseConfig(%s): %v, want ErrBadInput", bad, err)
		}
	}
}

// TestParseConfigBadAuthBesideToken: docker fails to load a file whose
// "auth" does not decode, identity token or not; the import reports it.
func TestParseConfigBadAuthBesideToken(t *testing.T) {
	_, problems, err := ParseConfig([]byte(`{"auths": {"r.example": {"auth": "not base64", "identitytoken": "s3cret"}}}`))
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0].Error(), `"auth" is not base64`) {
		t.Errorf("ParseConfig: %v, %v; want one problem", problems, err)
	}
}
