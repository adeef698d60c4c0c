package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// TestDockerLoginLongToken is issue 14's "docker login with a 4 KB token
// against the real registry": the real docker client logs in with a
// 4096-byte token (the size of an AWS ECR token, twice Expo's 2048-byte
// item) and stores it through the helper, which returns it whole; docker
// logout erases it.
//
// The registry is the open docker-registry that .ci/with-docker-registry
// starts beside the htpasswd one: bcrypt reads only 72 bytes of a
// password, so no htpasswd registry can check a 4 KB one. The open
// registry's /v2/ answers 200 without a challenge, and docker then stores
// the credential exactly as it does after a checked login.
func TestDockerLoginLongToken(t *testing.T) {
	registry := servicetest.Env(t, "SECURESTORE_TEST_REGISTRY_OPEN", "docker-registry", startRegistry)
	if _, err := exec.LookPath("docker"); err != nil {
		servicetest.Missing(t, "the docker client", "docker is not on $PATH", "apt-get install docker.io, then "+startRegistry)
	}
	// 4096 bytes of a token's alphabet, random so that nothing else in
	// the run could contain it by chance.
	raw := make([]byte, 3072)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if len(token) != 4096 {
		t.Fatalf("the token has %d bytes, want 4096", len(token))
	}
	const user = "AWS"

	configFile, run := dockerClient(t)
	get := func() (creds struct{ ServerURL, Username, Secret string }, out string, err error) {
		out, err = run([]byte(registry), name, "get")
		if err == nil {
			err = json.Unmarshal([]byte(out), &creds)
		}
		return creds, out, err
	}

	out, err := run([]byte(token+"\n"), "docker", "login", registry, "-u", user, "--password-stdin")
	if err != nil || !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("docker login with a 4096-byte token: %v: %s", err, out)
	}
	if strings.Contains(out, "unencrypted") {
		t.Errorf("docker login warns of an unencrypted password: %s", out)
	}
	config, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(config, []byte(`"auth"`)) || bytes.Contains(config, []byte(token[:64])) {
		t.Fatalf("docker wrote the credential into config.json:\n%s", config)
	}
	creds, _, err := get()
	if err != nil {
		t.Fatalf("%s get after login: %v", name, err)
	}
	if creds.Username != user || creds.Secret != token {
		// Never print the token: say only how it differs.
		t.Fatalf("%s get after login: user %q, a secret of %d bytes (equal: %v); want %q and the 4096-byte token",
			name, creds.Username, len(creds.Secret), creds.Secret == token, user)
	}

	if out, err := run(nil, "docker", "logout", registry); err != nil || strings.Contains(out, "WARNING") {
		t.Fatalf("docker logout: %v: %s", err, out)
	}
	if _, out, err := get(); err == nil || out != "credentials not found in native keychain\n" {
		t.Fatalf("%s get after logout: %v: %q", name, err, out)
	}
}
