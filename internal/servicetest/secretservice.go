//go:build linux || freebsd || openbsd || netbsd

package servicetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// EnvSecretService marks $DBUS_SESSION_BUS_ADDRESS as a throwaway Secret
// Service that tests may fill with items (.ci/with-secret-service sets it).
// Without it, tests leave the session bus alone: on a desktop it is the
// user's own keyring.
const EnvSecretService = "SECURESTORE_TEST_SECRET_SERVICE"

// StartSecretServiceCmd is how to run the tests with a Secret Service.
const StartSecretServiceCmd = ".ci/with-secret-service go test ./..."

// SharedSecretService stops the test unless the wrapper's throwaway Secret
// Service is running, and returns its bus address.
func SharedSecretService(t testing.TB) string {
	t.Helper()
	if os.Getenv(EnvSecretService) != "1" {
		Missing(t, "Secret Service", "$"+EnvSecretService+" is not 1, so the session bus may be your own keyring", StartSecretServiceCmd)
	}
	return Env(t, "DBUS_SESSION_BUS_ADDRESS", "Secret Service", StartSecretServiceCmd)
}

// SecretService is a private Secret Service for one test: its own D-Bus
// bus and gnome-keyring-daemon, with their files in the test's temporary
// directory, so that the test can lock it, stop it, hang it and start it
// again without disturbing other tests. The bus has no activatable
// services: once stopped, the Secret Service is gone, not restarted
// behind the test's back.
type SecretService struct {
	t       testing.TB
	dir     string
	Address string // the bus address, also set as $DBUS_SESSION_BUS_ADDRESS
	bus     *exec.Cmd
	keyring *exec.Cmd
}

// keyringPassword unlocks the private keyring; it protects nothing real.
const keyringPassword = "servicetest keyring"

// StartSecretService starts a private Secret Service and points
// $DBUS_SESSION_BUS_ADDRESS at it for the rest of the test (so the test
// must not be parallel). It stops everything when the test ends.
func StartSecretService(t *testing.T) *SecretService {
	t.Helper()
	s := newPrivateBus(t, "dbus-daemon", "gnome-keyring-daemon")
	s.Start()
	return s
}

// StartBus starts a private D-Bus session bus with nothing on it and
// points $DBUS_SESSION_BUS_ADDRESS at it for the rest of the test, for a
// fake service that stands beside the real one to play an error path the
// real one only shows now and then. It returns the bus address.
func StartBus(t *testing.T) string {
	t.Helper()
	s := newPrivateBus(t, "dbus-daemon")
	s.startBus()
	return s.Address
}

// newPrivateBus makes the directory and configuration of a private bus,
// once the programs bins are there; stopping is registered, starting is
// the caller's.
// WriteBusConfig writes dir/bus.conf, the configuration of a private
// dbus-daemon of kind ("session" or "system") listening on dir/bus that
// lets anyone own any name, for tests that bring up their own bus.
func WriteBusConfig(t testing.TB, dir, kind string) {
	t.Helper()
	conf := fmt.Sprintf(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>%s</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`, kind, filepath.Join(dir, "bus"))
	if err := os.WriteFile(filepath.Join(dir, "bus.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newPrivateBus(t *testing.T, bins ...string) *SecretService {
	t.Helper()
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			Missing(t, "Secret Service", bin+" is not installed (apt-get install dbus gnome-keyring)", StartSecretServiceCmd)
		}
	}
	// Unix socket paths are limited to 108 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "ss")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"run", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	WriteBusConfig(t, dir, "session")
	s := &SecretService{t: t, dir: dir}
	t.Cleanup(s.Stop)
	return s
}

// Start starts the bus and the keyring daemon, which unlocks (or, the
// first time, creates) the "login" collection with the test password.
// After Stop, it brings back the same keyring at the same address.
func (s *SecretService) Start() {
	s.t.Helper()
	s.startBus()
	s.keyring = exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	s.keyring.Env = append(os.Environ(),
		"DBUS_SESSION_BUS_ADDRESS="+s.Address,
		"XDG_RUNTIME_DIR="+filepath.Join(s.dir, "run"),
		"XDG_DATA_HOME="+filepath.Join(s.dir, "data"))
	s.keyring.Stdin = strings.NewReader(keyringPassword) // --unlock reads the password here, never from argv
	if err := s.keyring.Start(); err != nil {
		s.t.Fatalf("start gnome-keyring-daemon: %v", err)
	}
	s.waitForService()
}

// startBus starts the private bus and points $DBUS_SESSION_BUS_ADDRESS
// at it.
func (s *SecretService) startBus() {
	s.t.Helper()
	os.Remove(filepath.Join(s.dir, "bus"))
	s.bus = exec.Command("dbus-daemon", "--nofork", "--config-file="+filepath.Join(s.dir, "bus.conf"), "--print-address=1")
	out, err := s.bus.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.bus.Start(); err != nil {
		s.t.Fatalf("start dbus-daemon: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case s.Address = <-addr:
	case <-time.After(10 * time.Second):
		s.t.Fatal("dbus-daemon printed no address within 10s")
	}
	if s.Address == "" {
		s.t.Fatal("dbus-daemon exited without an address")
	}
	s.t.Setenv("DBUS_SESSION_BUS_ADDRESS", s.Address)
}

// waitForService waits until the keyring daemon owns the Secret Service
// name (asking the bus, which starts nothing).
func (s *SecretService) waitForService() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var owned bool
		err := s.withBus(func(ctx context.Context, c *dbus.Conn) error {
			return c.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&owned)
		})
		if err == nil && owned {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatal("gnome-keyring-daemon did not claim org.freedesktop.secrets within 10s")
}

// Stop kills the keyring daemon and the bus, as a crash or a logout would.
func (s *SecretService) Stop() {
	for _, c := range []*exec.Cmd{s.keyring, s.bus} {
		if c != nil && c.Process != nil {
			c.Process.Signal(syscall.SIGCONT) // a frozen process dies too
			c.Process.Kill()
			c.Wait()
		}
	}
	s.keyring, s.bus = nil, nil
}

// Freeze stops the keyring daemon without ending it (SIGSTOP): the bus
// still routes calls to it, and nothing answers, as with a hung service.
func (s *SecretService) Freeze() { s.keyring.Process.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen keyring daemon.
func (s *SecretService) Thaw() { s.keyring.Process.Signal(syscall.SIGCONT) }

// Lock locks the default collection, as the desktop does on screen lock.
func (s *SecretService) Lock() {
	s.t.Helper()
	err := s.withBus(func(ctx context.Context, c *dbus.Conn) error {
		var locked []dbus.ObjectPath
		var prompt dbus.ObjectPath
		svc := c.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
		coll, err := defaultCollection(ctx, c)
		if err != nil {
			return err
		}
		if err := svc.CallWithContext(ctx, "org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{coll}).Store(&locked, &prompt); err != nil {
			return err
		}
		if len(locked) != 1 || prompt != "/" {
			return fmt.Errorf("Lock: locked %v, prompt %v", locked, prompt)
		}
		return nil
	})
	if err != nil {
		s.t.Fatalf("lock the keyring: %v", err)
	}
}

// Unlock unlocks the default collection with the test password through
// gnome-keyring's own interface for it, since the Secret Service API only
// unlocks through a prompt, which needs a desktop.
func (s *SecretService) Unlock() {
	s.t.Helper()
	err := s.withBus(func(ctx context.Context, c *dbus.Conn) error {
		svc := c.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
		var out dbus.Variant
		var session dbus.ObjectPath
		if err := svc.CallWithContext(ctx, "org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
			return err
		}
		coll, err := defaultCollection(ctx, c)
		if err != nil {
			return err
		}
		secret := struct {
			Session     dbus.ObjectPath
			Parameters  []byte
			Value       []byte
			ContentType string
		}{session, []byte{}, []byte(keyringPassword), "text/plain"}
		return svc.CallWithContext(ctx, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", 0,
			coll, secret).Err
	})
	if err != nil {
		s.t.Fatalf("unlock the keyring: %v", err)
	}
}

func defaultCollection(ctx context.Context, c *dbus.Conn) (dbus.ObjectPath, error) {
	var coll dbus.ObjectPath
	err := c.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
		CallWithContext(ctx, "org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&coll)
	return coll, err
}

// withBus runs f with a fresh connection to the private bus and a 10s
// deadline.
func (s *SecretService) withBus(f func(context.Context, *dbus.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dbus.Connect(s.Address, dbus.WithContext(ctx))
	if err != nil {
		return err
	}
	defer c.Close()
	return f(ctx, c)
}
