package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securestore-go/securestore/internal/servicetest"
)

const startRegistry = ".ci/with-docker-registry go test ./cmd/docker-credential-securestore"

// TestDockerLoginLogout drives the real docker client against Debian's
// docker-registry (htpasswd authentication on 127.0.0.1, started by
// .ci/with-docker-registry) with credsStore "securestore": docker login
// stores through the helper and nothing in config.json, docker manifest
// inspect authenticates with what the helper returns, docker logout
// erases it. A failed login stores nothing.
func TestDockerLoginLogout(t *testing.T) {
	registry := servicetest.Env(t, "SECURESTORE_TEST_REGISTRY", "docker-registry", startRegistry)
	user := servicetest.Env(t, "SECURESTORE_TEST_REGISTRY_USER", "docker-registry", startRegistry)
	passwordFile := servicetest.Env(t, "SECURESTORE_TEST_REGISTRY_PASSWORD_FILE", "docker-registry", startRegistry)
	if _, err := exec.LookPath("docker"); err != nil {
		servicetest.Missing(t, "the docker client", "docker is not on $PATH", "apt-get install docker.io, then "+startRegistry)
	}
	password, err := os.ReadFile(passwordFile)
	if err != nil {
		t.Fatal(err)
	}

	configFile, run := dockerClient(t)
	list := func() map[string]string {
		t.Helper()
		out, err := run(nil, name, "list")
		var m map[string]string
		if err != nil || json.Unmarshal([]byte(out), &m) != nil {
			t.Fatalf("%s list: %v: %s", name, err, out)
		}
		return m
	}
	image := registry + "/securestore/none:v1"

	// A wrong password: docker login fails and stores nothing.
	if out, err := run([]byte("wrong-password\n"), "docker", "login", registry, "-u", user, "--password-stdin"); err == nil {
		t.Fatalf("docker login with a wrong password succeeded: %s", out)
	}
	if m := list(); len(m) != 0 {
		t.Fatalf("after a failed login the helper lists %v", m)
	}
	// Without credentials the registry refuses docker.
	if out, _ := run(nil, "docker", "manifest", "inspect", "--insecure", image); !strings.Contains(out, "no basic auth credentials") {
		t.Fatalf("docker manifest inspect before login: %s", out)
	}

	out, err := run(password, "docker", "login", registry, "-u", user, "--password-stdin")
	if err != nil || !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("docker login: %v: %s", err, out)
	}
	if strings.Contains(out, "unencrypted") {
		t.Errorf("docker login warns of an unencrypted password: %s", out)
	}
	if m := list(); len(m) != 1 || m[registry] != user {
		t.Fatalf("after login the helper lists %v, want %s → %s", m, registry, user)
	}
	config, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(config, []byte(`"auth"`)) || bytes.Contains(config, bytes.TrimSpace(password)) {
		t.Fatalf("docker wrote the credential into config.json:\n%s", config)
	}
	got, err := run([]byte(registry), name, "get")
	var creds struct{ ServerURL, Username, Secret string }
	if err != nil || json.Unmarshal([]byte(got), &creds) != nil || creds.Username != user || creds.Secret != string(bytes.TrimSpace(password)) {
		t.Fatalf("%s get after login: %v (the stored secret is not the password)", name, err)
	}

	// docker asks the helper (get) and the registry accepts what it
	// returns: the manifest is missing, but the request is authorized.
	if out, _ := run(nil, "docker", "manifest", "inspect", "--insecure", image); !strings.Contains(out, "no such manifest") {
		t.Fatalf("docker manifest inspect after login: %s", out)
	}

	if out, err := run(nil, "docker", "logout", registry); err != nil || strings.Contains(out, "WARNING") {
		t.Fatalf("docker logout: %v: %s", err, out)
	}
	if m := list(); len(m) != 0 {
		t.Fatalf("after logout the helper lists %v", m)
	}
	if out, err := run([]byte(registry), name, "get"); err == nil || out != "credentials not found in native keychain\n" {
		t.Fatalf("%s get after logout: %v: %q", name, err, out)
	}
}

// dockerClient gives a test its own docker configuration, which names this
// helper as the credential store (config.json is returned, to check that
// docker wrote no secret there), and a run function that starts a command
// (docker or the helper) with that configuration and a store of its own.
func dockerClient(t *testing.T) (configFile string, run func(stdin []byte, name string, args ...string) (string, error)) {
	t.Helper()
	dir := t.TempDir()
	dockerConfig := filepath.Join(dir, "docker")
	if err := os.Mkdir(dockerConfig, 0o700); err != nil {
		t.Fatal(err)
	}
	configFile = filepath.Join(dockerConfig, "config.json")
	if err := os.WriteFile(configFile, []byte(`{"credsStore": "securestore"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), // with the helper that TestMain put there
		"HOME=" + dir,
		"DOCKER_CONFIG=" + dockerConfig,
		"SECURESTORE_DIR=" + filepath.Join(dir, "store"),
		"SECURESTORE_PROTECTOR=file",
	}
	run = func(stdin []byte, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		cmd.Stdin = bytes.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	return configFile, run
}
