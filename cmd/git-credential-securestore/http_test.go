//go:build unix

package main

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestCloneFetchPushOverHTTP drives the real git against git's own
// git-http-backend (a CGI program) behind a Go server on 127.0.0.1 that
// demands HTTP Basic authentication. The first clone asks for the
// credentials (through GIT_ASKPASS, which logs each question) and stores
// them through the helper; later clones, fetches and pushes ask nothing.
// When the server's password changes, git rejects the stored credential,
// the helper erases it, and the next command asks once and stores the
// new one.
func TestCloneFetchPushOverHTTP(t *testing.T) {
	dir := t.TempDir()
	srv := newGitServer(t, filepath.Join(dir, "srv"))
	g := newGitEnv(t, dir)
	g.setPassword(srv.password())

	repoURL := srv.URL + "/repo.git"
	g.run(t, "clone", repoURL, "clone1")
	if got := g.questions(t); got != "Username Password" {
		t.Fatalf("the first clone asked %q, want one username and one password", got)
	}

	// The helper has the credential: git credential fill finds it.
	fill := g.runWithInput(t, "protocol=http\nhost="+strings.TrimPrefix(srv.URL, "http://")+"\n", "credential", "fill")
	if !strings.Contains(fill, "username=alice\n") || !strings.Contains(fill, "password="+srv.password()+"\n") {
		t.Fatalf("git credential fill after the clone did not find the stored credential")
	}

	// Push a commit, clone again, fetch it: no more questions.
	clone1 := filepath.Join(dir, "clone1")
	if err := os.WriteFile(filepath.Join(clone1, "new.txt"), []byte("pushed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g.run(t, "-C", clone1, "add", "new.txt")
	g.run(t, "-C", clone1, "commit", "-q", "-m", "pushed over http")
	g.run(t, "-C", clone1, "push", "-q", "origin", "main")
	pushed := strings.TrimSpace(g.run(t, "-C", clone1, "rev-parse", "HEAD"))
	if got := strings.TrimSpace(g.run(t, "--git-dir", srv.repo, "rev-parse", "main")); got != pushed {
		t.Fatalf("the server's main is %s after the push, want %s", got, pushed)
	}
	g.run(t, "clone", "-q", repoURL, "clone2")
	g.run(t, "-C", filepath.Join(dir, "clone2"), "fetch", "-q")
	if got := strings.TrimSpace(g.run(t, "-C", filepath.Join(dir, "clone2"), "rev-parse", "origin/main")); got != pushed {
		t.Fatalf("clone2 fetched %s, want %s", got, pushed)
	}
	if got := g.questions(t); got != "Username Password" {
		t.Fatalf("after push, clone and fetch the questions were %q: the stored credential was not reused", got)
	}

	// The server's password changes. The next fetch fails with the stored
	// one (git 2.39 rejects it and stops), which erases it ...
	srv.setPassword(t)
	g.setPassword(srv.password())
	if out, err := g.cmd("", "-C", clone1, "fetch", "-q").CombinedOutput(); err == nil || !bytes.Contains(out, []byte("Authentication failed")) {
		t.Fatalf("fetch with the old password: err %v, output %s", err, out)
	}
	if got := g.questions(t); got != "Username Password" {
		t.Fatalf("the failing fetch asked %q, want nothing more", got)
	}
	// ... so the one after asks once, and the one after that nothing.
	g.run(t, "-C", clone1, "fetch", "-q")
	g.run(t, "-C", clone1, "fetch", "-q")
	if got := g.questions(t); got != "Username Password Username Password" {
		t.Fatalf("after the password changed the questions were %q, want one more username and password", got)
	}
	if srv.authorized() == 0 {
		t.Fatal("the server saw no authorized request")
	}
}

// gitServer serves the bare repository repo.git over HTTP with
// git-http-backend, to user alice with a password that can change.
type gitServer struct {
	*httptest.Server
	repo string

	mu   sync.Mutex
	pass string
	ok   int
}

func newGitServer(t *testing.T, root string) *gitServer {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Fatalf("git-http-backend: %v", err)
	}
	s := &gitServer{repo: filepath.Join(root, "repo.git")}
	s.setPassword(t)

	// A bare repository with one commit on main.
	seed := filepath.Join(root, "seed")
	for _, args := range [][]string{
		{"init", "-q", "--bare", "-b", "main", s.repo},
		{"--git-dir", s.repo, "config", "http.receivepack", "true"},
		{"init", "-q", "-b", "main", seed},
		{"-C", seed, "commit", "-q", "--allow-empty", "-m", "first"},
		{"-C", seed, "push", "-q", s.repo, "main"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Env = baseGitEnv(root)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}

	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		s.mu.Lock()
		good := ok && user == "alice" && subtle.ConstantTimeCompare([]byte(pass), []byte(s.pass)) == 1
		if good {
			s.ok++
		}
		s.mu.Unlock()
		if !good {
			w.Header().Set("WWW-Authenticate", `Basic realm="securestore test"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		(&cgi.Handler{
			Path: backend,
			Root: "/",
			Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=" + user, "GIT_CONFIG_NOSYSTEM=1", "HOME=" + root},
		}).ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// setPassword gives the server a new random password.
func (s *gitServer) setPassword(t *testing.T) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.pass = "pw-" + hex.EncodeToString(b)
	s.mu.Unlock()
}

func (s *gitServer) password() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pass
}

func (s *gitServer) authorized() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ok
}

// gitEnv runs the client side: a throwaway HOME whose git uses the helper,
// and an askpass script that answers from files and logs each question.
type gitEnv struct {
	dir, home, log, passFile string
}

func newGitEnv(t *testing.T, dir string) *gitEnv {
	t.Helper()
	g := &gitEnv{
		dir:      dir,
		home:     filepath.Join(dir, "home"),
		log:      filepath.Join(dir, "askpass.log"),
		passFile: filepath.Join(dir, "askpass.password"),
	}
	if err := os.Mkdir(g.home, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		filepath.Join(g.home, ".gitconfig"): "[credential]\n\thelper = securestore\n",
		filepath.Join(dir, "askpass.user"):  "alice\n",
		// The password never appears on a command line: the script
		// prints the file.
		filepath.Join(dir, "askpass.sh"): "#!/bin/sh\n" +
			"case \"$1\" in\n" +
			"Username*) echo Username >>\"$ASKPASS_LOG\"; cat \"$ASKPASS_DIR/askpass.user\" ;;\n" +
			"Password*) echo Password >>\"$ASKPASS_LOG\"; cat \"$ASKPASS_DIR/askpass.password\" ;;\n" +
			"*) echo \"unexpected question\" >>\"$ASKPASS_LOG\"; exit 1 ;;\n" +
			"esac\n",
		g.log: "",
	}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func (g *gitEnv) setPassword(p string) {
	if err := os.WriteFile(g.passFile, []byte(p+"\n"), 0o600); err != nil {
		panic(err)
	}
}

// questions is the askpass log so far, one word per question.
func (g *gitEnv) questions(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(g.log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// baseGitEnv is an environment with nothing of the user's: no global or
// system configuration, no proxies, no prompts at a terminal. $PATH
// keeps the directory where TestMain put the helper.
func baseGitEnv(home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"LANG=C", "LC_ALL=C",
	}
}

func (g *gitEnv) cmd(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = g.dir
	cmd.Env = append(baseGitEnv(g.home),
		"GIT_ASKPASS="+filepath.Join(g.dir, "askpass.sh"),
		"ASKPASS_LOG="+g.log,
		"ASKPASS_DIR="+g.dir,
		"SECURESTORE_DIR="+filepath.Join(g.dir, "store"),
		"SECURESTORE_PROTECTOR=file",
	)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs git with empty input and returns its output.
func (g *gitEnv) run(t *testing.T, args ...string) string {
	t.Helper()
	return g.runWithInput(t, "", args...)
}

func (g *gitEnv) runWithInput(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := g.cmd(stdin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}
