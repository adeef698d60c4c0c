//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/protector"
)

// flakyService plays, on a private bus, the two passing failures that the
// real gnome-keyring shows a few runs in a hundred (see transientRetries):
// ReadAlias answers "no such alias" and SearchItems UnknownMethod, each
// for its first failFor calls. It stands beside the real service, which
// the other tests use, because the real one cannot be made to do this on
// demand.
type flakyService struct {
	failFor  int32
	aliases  atomic.Int32
	searches atomic.Int32
}

const flakyCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")

func (f *flakyService) ReadAlias(name string) (dbus.ObjectPath, *dbus.Error) {
	if f.aliases.Add(1) <= f.failFor {
		return ssNoPrompt, nil
	}
	return flakyCollection, nil
}

func (f *flakyService) SearchItems(attrs map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	if f.searches.Add(1) <= f.failFor {
		return nil, nil, dbus.NewError(ssErrUnknownMethod, []any{"SearchItems is not implemented"})
	}
	return []dbus.ObjectPath{flakyCollection + "/1"}, nil, nil
}

// startFlakyService puts a flakyService on a private bus and returns a
// client of it.
func startFlakyService(t *testing.T, failFor int32) (*flakyService, *ssClient) {
	servicetest.StartBus(t)
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &flakyService{failFor: failFor}
	if err := conn.Export(f, ssServicePath, ssIfService); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(ssBusName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("claim %s: %v, %v", ssBusName, reply, err)
	}
	c, err := dialSecretService(servicetest.Ctx(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return f, c
}

// TestSecretServiceTransient: a default alias that is missing for a
// moment and a SearchItems failed for a moment, sent directly or started
// ahead, are asked again and succeed; each is asked once per failure,
// plus the one that succeeds.
func TestSecretServiceTransient(t *testing.T) {
	f, c := startFlakyService(t, int32(len(transientRetries)))
	coll, err := c.defaultCollection()
	if err != nil || coll != flakyCollection {
		t.Fatalf("defaultCollection = %q, %v; want %q", coll, err, flakyCollection)
	}
	if n := f.aliases.Load(); n != int32(len(transientRetries))+1 {
		t.Errorf("ReadAlias asked %d times, want %d", n, len(transientRetries)+1)
	}

	var unlocked, locked []dbus.ObjectPath
	if err := c.reply(c.start(c.svc, ssIfService+".SearchItems", map[string]string{})).Store(&unlocked, &locked); err != nil {
		t.Fatalf("a started SearchItems after %d passing failures: %v", f.failFor, err)
	}
	if len(unlocked) != 1 {
		t.Errorf("SearchItems = %v, %v", unlocked, locked)
	}
	f.searches.Store(0)
	if err := c.call(c.svc, ssIfService+".SearchItems", map[string]string{}).Store(&unlocked, &locked); err != nil {
		t.Fatalf("SearchItems after %d passing failures: %v", f.failFor, err)
	}
	if n := f.searches.Load(); n != f.failFor+1 {
		t.Errorf("SearchItems sent %d times, want %d", n, f.failFor+1)
	}
}

// TestSecretServiceNoDefault: a service that keeps saying there is no
// default collection, or keeps failing a method, is reported after the
// retries, as protector.ErrUnavailable for the collection and with the service's
// own error for the method.
func TestSecretServiceNoDefault(t *testing.T) {
	f, c := startFlakyService(t, 1000)
	start := time.Now()
	if _, err := c.defaultCollection(); !errors.Is(err, protector.ErrUnavailable) {
		t.Fatalf("defaultCollection on a service without one = %v, want protector.ErrUnavailable", err)
	}
	if n := f.aliases.Load(); n != int32(len(transientRetries))+1 {
		t.Errorf("ReadAlias asked %d times, want %d", n, len(transientRetries)+1)
	}
	if err := c.call(c.svc, ssIfService+".SearchItems", map[string]string{}).Err; !isDBusError(err, ssErrUnknownMethod) {
		t.Fatalf("SearchItems on a service that always fails it = %v, want UnknownMethod", err)
	}
	t.Logf("both reported after %v", time.Since(start))
}
