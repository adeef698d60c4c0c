//go:build linux || freebsd || openbsd || netbsd

// Package logindtest runs, for tests, a private D-Bus bus and a service
// on it that speaks systemd-logind's real interface (names, paths and
// signatures as org.freedesktop.login1(5) gives them), and plays what a
// desktop does: lock the session, set LockedHint, go to sleep, restart
// logind, lose the bus.
//
//	bus := logindtest.StartBus(t)
//	ld := logindtest.Start(t, bus.Address, logindtest.Session{ID: "2", PID: os.Getpid()})
//	w, _ := logind.Watch(ctx, logind.Options{Address: bus.Address})
//	ld.Lock("2") // w.Events() gets a Lock
package logindtest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// Bus is a private dbus-daemon for one test, with no activatable
// services: a name is on it only while a test's service holds it.
type Bus struct {
	t       testing.TB
	dir     string
	Address string
	cmd     *exec.Cmd
}

// StartBus starts a private bus; it is killed when the test ends. A
// missing dbus-daemon skips the test (fails it under
// SECURESTORE_REQUIRE_SERVICES=1).
func StartBus(t testing.TB) *Bus {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		servicetest.Missing(t, "dbus-daemon", "not on $PATH", "apt-get install dbus")
	}
	// Unix socket paths are limited to 108 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "logind")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	servicetest.WriteBusConfig(t, dir, "system")
	b := &Bus{t: t, dir: dir}
	t.Cleanup(b.Stop)
	b.Start()
	return b
}

// Start starts the bus (again, after Stop) at the same address.
func (b *Bus) Start() {
	b.t.Helper()
	os.Remove(filepath.Join(b.dir, "bus"))
	b.cmd = exec.Command("dbus-daemon", "--nofork", "--config-file="+filepath.Join(b.dir, "bus.conf"), "--print-address=1")
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		b.t.Fatalf("start dbus-daemon: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			b.t.Fatal("dbus-daemon exited without an address")
		}
		b.Address = a
	case <-time.After(10 * time.Second):
		b.t.Fatal("dbus-daemon printed no address within 10s")
	}
}

// Stop kills the bus, as a crash of the system bus would.
func (b *Bus) Stop() {
	if b.cmd != nil && b.cmd.Process != nil {
		b.cmd.Process.Kill()
		b.cmd.Wait()
	}
	b.cmd = nil
}
