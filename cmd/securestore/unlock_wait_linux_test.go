package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/securestore-go/securestore"
)

// passcodeFD returns a file descriptor, owned by the CLI run that reads
// it, from which the line passcode+"\n" reads.
func passcodeFD(t *testing.T, passcode string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.WriteString(passcode + "\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	fd, err := unix.Dup(int(r.Fd())) // the CLI's *os.File closes it; r must not
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(fd)
}

// TestUnlockWaitAnnounced checks that before a passcode attempt that the
// wrong-passcode delay makes wait, the CLI says so on a terminal — and
// only on a terminal. The wait comes from Store.UnlockDelay, whose values
// the library's TestUnlockDelay checks against the waits Unlock makes;
// here unlockDelay announces a wait that the real clock would make the
// test sleep through, and the store has no failures, so nothing waits.
func TestUnlockWaitAnnounced(t *testing.T) {
	t.Setenv("SECURESTORE_DIR", filepath.Join(t.TempDir(), "store"))
	t.Setenv("SECURESTORE_PROTECTOR", "file")
	t.Setenv(EnvApp, "")
	var stdout, stderr bytes.Buffer
	if rc := run([]string{"set", "k"}, strings.NewReader("v4lue"), &stdout, &stderr); rc != 0 {
		t.Fatalf("set: rc %d: %s", rc, stderr.String())
	}
	if rc := run([]string{"passcode", "set", "--passcode-fd", passcodeFD(t, "1234")}, nil, &stdout, &stderr); rc != 0 {
		t.Fatalf("passcode set: rc %d: %s", rc, stderr.String())
	}

	// get runs with stderr on a new terminal; it returns what the
	// terminal showed.
	getOnTerminal := func() (shown string) {
		t.Helper()
		ptmx, tty, err := openPTY()
		if err != nil {
			t.Fatal(err)
		}
		defer ptmx.Close()
		var out bytes.Buffer
		rc := run([]string{"get", "k", "--passcode-fd", passcodeFD(t, "1234")}, nil, &out, tty)
		tty.Close()
		shownBytes, err := io.ReadAll(ptmx) // ends with EIO once the terminal is closed
		if err != nil && !errors.Is(err, unix.EIO) {
			t.Fatal(err)
		}
		if rc != 0 || out.String() != "v4lue\n" {
			t.Fatalf("get: rc %d, stdout %q; terminal: %q", rc, out.String(), shownBytes)
		}
		return string(shownBytes)
	}

	// No wrong passcodes yet: nothing to announce.
	if shown := getOnTerminal(); strings.Contains(shown, "waiting") {
		t.Fatalf("with no wrong passcodes the terminal shows %q", shown)
	}

	var asked int
	unlockDelay = func(*securestore.Store, context.Context) (time.Duration, int, error) {
		asked++
		return 3500 * time.Millisecond, 5, nil
	}
	t.Cleanup(func() { unlockDelay = (*securestore.Store).UnlockDelay })

	if shown, want := getOnTerminal(), "waiting 4 s after 5 wrong passcodes\r\n"; shown != want {
		t.Fatalf("the terminal shows %q; want %q", shown, want)
	}
	if asked != 1 {
		t.Fatalf("get asked for the delay %d times; want 1", asked)
	}

	// Not a terminal: scripts and logs see nothing but the result.
	stderr.Reset()
	if rc := run([]string{"get", "k", "--passcode-fd", passcodeFD(t, "1234")}, nil, &stdout, &stderr); rc != 0 || stderr.Len() != 0 {
		t.Fatalf("get with stderr not a terminal: rc %d, stderr %q; want 0 and nothing", rc, stderr.String())
	}
}
