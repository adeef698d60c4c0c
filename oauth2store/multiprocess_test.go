package oauth2store_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/oauth2store"
	"golang.org/x/oauth2"
)

// The multi-process test starts this test binary again as helper
// processes, as the os/exec tests of the standard library do: with
// $OAUTH2STORE_TEST_HELPER set, TestMain runs the helper instead of the
// tests.
const helperEnv = "OAUTH2STORE_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(refreshHelper())
	}
	os.Exit(m.Run())
}

// refreshHelper opens the store in $OAUTH2STORE_TEST_DIR, prints "ready",
// waits for a line on stdin, asks for a token from the endpoint at
// $OAUTH2STORE_TEST_URL, and prints the access token. Errors go to stderr
// and exit status 1.
func refreshHelper() int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := securestore.Open(ctx, securestore.Config{
		App: "com.example.cli", Dir: os.Getenv("OAUTH2STORE_TEST_DIR"), Protector: "file", MaxValueBytes: 8192,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	conf := &oauth2.Config{ClientID: "cli", Endpoint: oauth2.Endpoint{
		TokenURL: os.Getenv("OAUTH2STORE_TEST_URL"), AuthStyle: oauth2.AuthStyleInParams}}
	ts := oauth2store.New(ctx, s, testKey, conf, &oauth2store.Options{LockDir: os.Getenv("OAUTH2STORE_TEST_DIR")})
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fmt.Fprintln(os.Stderr, "no go signal:", err)
		return 1
	}
	tok, err := ts.Token()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(tok.AccessToken)
	return 0
}

// TestProcessesRefreshOnce runs rounds of several processes that find the
// stored token expired at the same moment, against one token endpoint
// that rotates refresh tokens. In each round exactly one refresh must
// reach the endpoint (a second would spend a refresh token already spent,
// and be refused), and every process must end with that refresh's token.
func TestProcessesRefreshOnce(t *testing.T) {
	const procs, rounds = 4, 3
	dir := storeDir(t)
	srv := newTokenServer(t)
	s := openStore(t, dir, 8192)
	opts := &oauth2store.Options{LockDir: dir}
	_, _, _, refresh := srv.state()
	seed := &oauth2.Token{AccessToken: "login", RefreshToken: refresh}

	for round := 1; round <= rounds; round++ {
		// Expire the stored token (time passing, without waiting for it).
		seed.Expiry = time.Now().Add(-time.Minute)
		if err := oauth2store.New(t.Context(), s, testKey, srv.config(), opts).Save(seed); err != nil {
			t.Fatal(err)
		}

		helpers := make([]*helper, procs)
		for i := range helpers {
			helpers[i] = startHelper(t, dir, srv.URL+"/token")
		}
		for _, h := range helpers {
			if line := h.line(t); line != "ready" {
				t.Fatalf("helper said %q, want ready\nstderr: %s", line, h.stderr)
			}
		}
		for _, h := range helpers { // all at once, as near as can be
			io.WriteString(h.stdin, "go\n")
		}
		got := make([]string, procs)
		for i, h := range helpers {
			got[i] = h.line(t)
			if err := h.cmd.Wait(); err != nil {
				srv.checkNoToken(t, "helper stderr", h.stderr.String())
				t.Fatalf("round %d: helper %d: %v\nstderr: %s", round, i, err, h.stderr)
			}
			srv.checkNoToken(t, "helper stderr", h.stderr.String())
		}

		granted, refused, access, _ := srv.state()
		if granted != round || refused != 0 {
			t.Fatalf("round %d: %d refreshes granted and %d refused in all; want %d and 0", round, granted, refused, round)
		}
		for i, a := range got {
			if a != access {
				t.Fatalf("round %d: helper %d ended with another token than the refresh's", round, i)
			}
		}
		tok, err := oauth2store.New(t.Context(), s, testKey, srv.config(), opts).Token()
		if err != nil || tok.AccessToken != access || !tok.Valid() {
			t.Fatalf("round %d: the stored token is not the refresh's valid token (%v)", round, err)
		}
		seed = tok
	}
}

type helper struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr *bytes.Buffer
}

// startHelper starts one refreshHelper process; the test kills it if it
// is still running when the test ends. "-test.run=^$" makes sure the
// child runs no tests even if TestMain missed the helper mode.
func startHelper(t *testing.T, dir, tokenURL string) *helper {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "OAUTH2STORE_TEST_DIR="+dir, "OAUTH2STORE_TEST_URL="+tokenURL)
	h := &helper{cmd: cmd, stderr: new(bytes.Buffer)}
	cmd.Stderr = h.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if h.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.out = bufio.NewScanner(stdout)
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return h
}

// line returns the helper's next line of output, or fails the test when
// it has exited without one.
func (h *helper) line(t *testing.T) string {
	t.Helper()
	if !h.out.Scan() {
		h.cmd.Wait()
		t.Fatalf("helper exited early: %v\nstderr: %s", h.out.Err(), h.stderr)
	}
	return strings.TrimSpace(h.out.Text())
}
