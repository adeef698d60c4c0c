//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// These tests run "securestore run" in this process (run) with real
// child processes, for what a script cannot see: the child's command
// line in /proc, and a signal that reaches run while the child runs.

const runTestSecret = "ghp_runtest-s3cret"

// setupRunStore makes a store with the item github/token and points the
// environment at it.
func setupRunStore(t *testing.T) {
	t.Helper()
	t.Setenv("SECURESTORE_DIR", filepath.Join(t.TempDir(), "store"))
	t.Setenv("SECURESTORE_PROTECTOR", "file")
	var stderr bytes.Buffer
	if rc := run([]string{"--service", "github", "set", "token"}, strings.NewReader(runTestSecret+"\n"), &bytes.Buffer{}, &stderr); rc != 0 {
		t.Fatalf("set: exit %d: %s", rc, stderr.String())
	}
	t.Setenv("TOKEN", "securestore://github/token")
}

// TestRunSecretNotInCommandLine: the child has the secret in its
// environment and nowhere in its command line.
func TestRunSecretNotInCommandLine(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc on this system")
	}
	setupRunStore(t)
	var stdout, stderr bytes.Buffer
	rc := run([]string{"run", "--no-masking", "--", "sh", "-c", `cat /proc/$$/cmdline; echo; tr '\0' '\n' < /proc/$$/environ`},
		strings.NewReader(""), &stdout, &stderr)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr.String())
	}
	cmdline, environ, _ := strings.Cut(stdout.String(), "\n")
	if !strings.Contains(cmdline, "/proc/$$/cmdline") {
		t.Fatalf("did not read the child's command line: %q", cmdline)
	}
	if strings.Contains(cmdline, runTestSecret) {
		t.Fatalf("the secret is in the child's command line")
	}
	if !strings.Contains(environ, "\nTOKEN="+runTestSecret+"\n") {
		t.Fatalf("the child's environment has no resolved TOKEN")
	}
	if strings.Contains(environ, "securestore://") {
		t.Fatalf("the child's environment still holds the reference")
	}
}

// TestRunForwardsSignals: SIGINT sent to run reaches the child, whose
// trap decides the exit status; masking still applies to what it prints.
func TestRunForwardsSignals(t *testing.T) {
	setupRunStore(t)
	stdout := &readySignal{ready: make(chan struct{})}
	go func() {
		<-stdout.ready
		// run has Notify'd SIGINT: this process does not die of it.
		syscall.Kill(os.Getpid(), syscall.SIGINT)
	}()
	var stderr bytes.Buffer
	rc := run([]string{"run", "--", "sh", "-c", `sleep 1000 >/dev/null 2>&1 </dev/null & pid=$!
trap 'kill $pid; echo "got INT $TOKEN"; exit 3' INT
echo ready
wait $pid`}, strings.NewReader(""), stdout, &stderr)
	if rc != 3 {
		t.Fatalf("exit %d, want the child's 3; stderr: %s", rc, stderr.String())
	}
	if got, want := stdout.String(), "ready\ngot INT "+concealed+"\n"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
}

// readySignal is a stdout that closes ready when "ready\n" has come.
type readySignal struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *readySignal) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), "ready\n") {
		w.once.Do(func() { close(w.ready) })
	}
	return n, err
}

func (w *readySignal) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
