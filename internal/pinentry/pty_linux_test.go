package pinentry

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// pty is a pseudo-terminal for a real pinentry-tty: the test plays the
// user on master, pinentry opens the slave by its name (OPTION ttyname).
type pty struct {
	master *os.File
	slave  *os.File // held open so that the terminal outlives pinentry
	name   string
	seen   bytes.Buffer // what the terminal showed so far
}

// openPTY opens a pseudo-terminal through /dev/ptmx (what openpty(3)
// does), with a non-blocking master so that reads take a deadline.
func openPTY(t *testing.T) *pty {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	master := os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	slave, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { slave.Close() })
	return &pty{master: master, slave: slave, name: name}
}

// waitFor reads what the terminal shows until it has shown want (a
// generous deadline only guards against a hang; nothing is timed).
func (p *pty) waitFor(t *testing.T, want string) {
	t.Helper()
	p.master.SetReadDeadline(time.Now().Add(60 * time.Second))
	buf := make([]byte, 512)
	for !strings.Contains(p.seen.String(), want) {
		n, err := p.master.Read(buf)
		p.seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("waiting for %q on the terminal: %v; it showed %q", want, err, p.seen.String())
		}
	}
}

// type_ types keys on the terminal.
func (p *pty) type_(t *testing.T, keys string) {
	t.Helper()
	if _, err := p.master.Write([]byte(keys)); err != nil {
		t.Fatalf("type on the terminal: %v", err)
	}
}

// echoes reports whether the terminal echoes typed keys (pinentry-tty
// turns echo off while it reads and must turn it back on).
func (p *pty) echoes(t *testing.T) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// pinentryTTY returns the path of the real pinentry-tty.
func pinentryTTY(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("pinentry-tty")
	if err != nil {
		servicetest.Missing(t, "pinentry-tty", "not on $PATH", "apt-get install pinentry-tty")
	}
	return path
}
