//go:build linux || freebsd || openbsd || netbsd

package securestore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/protector"
)

// TestSecretServiceOutage: a store whose key is in a Secret Service (a
// private gnome-keyring) does not open while the service is gone or hung
// (ErrUnavailable) or its keyring locked (ErrLocked), always within the
// deadline, while a Store opened before keeps working; once the service
// is back or unlocked, every item reads. A damaged blob is a clear error
// and, put back, loses nothing; a deleted keyring item is ErrKeyMissing.
func TestSecretServiceOutage(t *testing.T) {
	ss := servicetest.StartSecretService(t)
	o := &outageStore{t: t, cfg: securestore.Config{App: "com.example.outage", Dir: filepath.Join(t.TempDir(), "store"), Protector: "secretservice"}}
	st, err := o.open(30 * time.Second)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	o.fill(st)

	o.testStopAndHang(st, ss, "Secret Service")

	ss.Lock()
	o.openFails("keyring locked", 5*time.Second, protector.ErrLocked)
	o.check(st)
	ss.Unlock()
	o.reopenAndCheck("keyring unlocked")

	o.testBlobDamage()

	deleteKeyringItems(t, ss.Address, "app:"+o.cfg.App)
	o.openFails("keyring item deleted", 5*time.Second, protector.ErrKeyMissing)
}

// deleteKeyringItems deletes the store's items, as a user tidying their
// keyring might.
func deleteKeyringItems(t *testing.T, address, store string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dbus.Connect(address, dbus.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var unlocked, locked []dbus.ObjectPath
	err = c.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").CallWithContext(ctx,
		"org.freedesktop.Secret.Service.SearchItems", 0,
		map[string]string{"application": "securestore", "securestore-store": store}).Store(&unlocked, &locked)
	if err != nil || len(unlocked) != 1 {
		t.Fatalf("search the store's item: %v, %v", unlocked, err)
	}
	var prompt dbus.ObjectPath
	if err := c.Object("org.freedesktop.secrets", unlocked[0]).CallWithContext(ctx,
		"org.freedesktop.Secret.Item.Delete", 0).Store(&prompt); err != nil || prompt != "/" {
		t.Fatalf("delete the item: %v (prompt %v)", err, prompt)
	}
}
