//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/protector"
)

// TestSSBlobFormat: an empty blob is protector.ErrKeyMissing; a short one or one of
// another version is protector.ErrKeyCorrupt; no Secret Service is needed.
func TestSSBlobFormat(t *testing.T) {
	var id [ssIDSize]byte
	id[0] = 9
	good := encodeSSBlob(id, make([]byte, 60))
	if got, sealed, err := parseSSBlob(good); err != nil || got != id || len(sealed) != 60 {
		t.Fatalf("round trip: %x %d %v", got, len(sealed), err)
	}
	if _, _, err := parseSSBlob(nil); !errors.Is(err, protector.ErrKeyMissing) {
		t.Errorf("empty: %v", err)
	}
	bad := bytes.Clone(good)
	bad[0] = 2
	for _, b := range [][]byte{good[:1], good[:1+ssIDSize+10], bad} {
		if _, _, err := parseSSBlob(b); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Errorf("blob %x…: %v", b[:1], err)
		}
	}
}

// ssTestItems lists the keyring items of a store (every id), through the
// same connection code the protector uses.
func ssTestItems(t *testing.T, store string) []dbus.ObjectPath {
	t.Helper()
	var items []dbus.ObjectPath
	ssTestDo(t, func(c *ssClient) error {
		var unlocked, locked []dbus.ObjectPath
		err := c.call(c.svc, ssIfService+".SearchItems", map[string]string{
			ssAttrApplication: ssApplication, ssAttrStore: store,
		}).Store(&unlocked, &locked)
		items = append(unlocked, locked...)
		return err
	})
	return items
}

func ssTestDo(t *testing.T, f func(c *ssClient) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dialSecretService(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if err := f(c); err != nil {
		t.Fatal(err)
	}
}

// ssTestStore returns a store name that no other test uses, and deletes
// its items from the shared keyring when the test ends.
func ssTestStore(t *testing.T) string {
	store := "app:test." + strings.NewReplacer("/", ".", "#", ".").Replace(t.Name()) + "." + time.Now().Format("150405.000000000")
	t.Cleanup(func() {
		for _, item := range ssTestItems(t, store) {
			ssTestDo(t, func(c *ssClient) error { return c.call(c.obj(item), ssIfItem+".Delete").Err })
		}
	})
	return store
}

// TestSecretServiceWrapUnwrap: against a real gnome-keyring, a wrapped key
// unwraps to the same bytes; the item sits in the default collection with
// the attributes and label that say whose it is; each Wrap makes its own
// item, so two store directories with the same app never clash.
func TestSecretServiceWrapUnwrap(t *testing.T) {
	servicetest.SharedSecretService(t)
	p := secretService{}
	ctx := servicetest.Ctx(t, 30*time.Second)
	if err := p.Available(ctx); err != nil {
		t.Fatalf("Available: %v", err)
	}
	store := ssTestStore(t)
	a := protector.Scope{Dir: t.TempDir(), Store: store}
	b := protector.Scope{Dir: t.TempDir(), Store: store} // same app, another directory
	blobA, err := p.Wrap(ctx, a, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	otherKey := bytes.Repeat([]byte{0x17}, 32)
	blobB, err := p.Wrap(ctx, b, otherKey)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	if key, err := p.Unwrap(ctx, a, blobA); err != nil || !bytes.Equal(key, servicetest.DeviceKeyStandIn) {
		t.Fatalf("Unwrap A = %x, %v", key, err)
	}
	if key, err := p.Unwrap(ctx, b, blobB); err != nil || !bytes.Equal(key, otherKey) {
		t.Fatalf("Unwrap B = %x, %v", key, err)
	}
	items := ssTestItems(t, store)
	if len(items) != 2 {
		t.Fatalf("%d items for the store, want one per Wrap (2)", len(items))
	}
	ssTestDo(t, func(c *ssClient) error {
		coll, err := c.defaultCollection()
		if err != nil {
			return err
		}
		for _, item := range items {
			if !strings.HasPrefix(string(item), string(coll)+"/") {
				t.Errorf("item %s is not in the default collection %s", item, coll)
			}
			var attrs map[string]string
			var label string
			if err := c.property(c.obj(item), ssIfItem, "Attributes", &attrs); err != nil {
				return err
			}
			if err := c.property(c.obj(item), ssIfItem, "Label", &label); err != nil {
				return err
			}
			dir := attrs[ssAttrDir]
			if attrs[ssAttrApplication] != "securestore" || attrs[ssAttrStore] != store ||
				(dir != a.Dir && dir != b.Dir) || len(attrs[ssAttrID]) != 2*ssIDSize {
				t.Errorf("item attributes %v", attrs)
			}
			if label != "securestore device key for "+store+" in "+dir {
				t.Errorf("item label %q", label)
			}
		}
		return nil
	})

	// A blob is found only under its own store's name.
	other := protector.Scope{Dir: a.Dir, Store: store + ".other"}
	if key, err := p.Unwrap(ctx, other, blobA); !errors.Is(err, protector.ErrKeyMissing) {
		t.Errorf("Unwrap as another store = %x, %v; want protector.ErrKeyMissing", key, err)
	}
}

// TestSecretServiceAltered: a changed blob byte, a changed item secret and
// a deleted item are each a protector error (protector.ErrKeyCorrupt, or
// protector.ErrKeyMissing where the blob no longer names an existing item), never
// another key.
func TestSecretServiceAltered(t *testing.T) {
	servicetest.SharedSecretService(t)
	p := secretService{}
	ctx := servicetest.Ctx(t, time.Minute)
	s := protector.Scope{Dir: t.TempDir(), Store: ssTestStore(t)}
	blob, err := p.Wrap(ctx, s, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	for i := range blob {
		b := bytes.Clone(blob)
		b[i] ^= 0x01
		key, err := p.Unwrap(ctx, s, b)
		idByte := i >= 1 && i < 1+ssIDSize
		if idByte && !errors.Is(err, protector.ErrKeyMissing) || !idByte && !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Fatalf("byte %d flipped: Unwrap = %x, %v", i, key, err)
		}
	}

	items := ssTestItems(t, s.Store)
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	for name, value := range map[string][]byte{
		"another key": bytes.Repeat([]byte{1}, 32),
		"not a key":   []byte("hunter2"),
	} {
		ssTestDo(t, func(c *ssClient) error {
			sess, err := c.openSessionWith(drawKeyPair())
			if err != nil {
				return err
			}
			defer sess.close(c)
			sec, err := sess.encode(value)
			if err != nil {
				return err
			}
			return c.call(c.obj(items[0]), ssIfItem+".SetSecret", sec).Err
		})
		if key, err := p.Unwrap(ctx, s, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Errorf("item secret replaced by %s: Unwrap = %x, %v; want protector.ErrKeyCorrupt", name, key, err)
		}
	}

	ssTestDo(t, func(c *ssClient) error { return c.call(c.obj(items[0]), ssIfItem+".Delete").Err })
	if key, err := p.Unwrap(ctx, s, blob); !errors.Is(err, protector.ErrKeyMissing) {
		t.Errorf("item deleted: Unwrap = %x, %v; want protector.ErrKeyMissing", key, err)
	}
}

// TestSecretServicePlainSession: the plain session (the fallback for a
// service that offers nothing else) carries a key to gnome-keyring and
// back through the protector's own read path unchanged.
func TestSecretServicePlainSession(t *testing.T) {
	servicetest.SharedSecretService(t)
	s := protector.Scope{Dir: t.TempDir(), Store: ssTestStore(t)}
	id := [ssIDSize]byte{1, 2, 3}
	ssTestDo(t, func(c *ssClient) error {
		var out dbus.Variant
		sess := &ssSession{}
		if err := c.call(c.svc, ssIfService+".OpenSession", ssAlgorithmNone, dbus.MakeVariant("")).Store(&out, &sess.path); err != nil {
			return err
		}
		coll, err := c.defaultCollection()
		if err != nil {
			return err
		}
		sec, _ := sess.encode(bytes.Clone(servicetest.DeviceKeyStandIn))
		props := map[string]dbus.Variant{
			ssIfItem + ".Label":      dbus.MakeVariant("plain session test"),
			ssIfItem + ".Attributes": dbus.MakeVariant(ssAttributes(s, id)),
		}
		var item, prompt dbus.ObjectPath
		if err := c.call(c.obj(coll), ssIfCollection+".CreateItem", props, sec, false).Store(&item, &prompt); err != nil {
			return err
		}
		got, err := secretService{}.readKEK(c, sess, s, id)
		if err != nil || !bytes.Equal(got, servicetest.DeviceKeyStandIn) {
			t.Errorf("plain session: %x, %v", got, err)
		}
		return nil
	})
}

// TestSecretServiceLocked: with the default collection locked (as on a
// locked screen), Unwrap and Wrap ask to unlock it; headless, the prompt
// is dismissed and the error is protector.ErrLocked, quickly. Once unlocked, the
// same blob unwraps to the same key.
func TestSecretServiceLocked(t *testing.T) {
	ss := servicetest.StartSecretService(t)
	p := secretService{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.locked"}
	blob, err := p.Wrap(servicetest.Ctx(t, 30*time.Second), s, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	ss.Lock()
	if err := p.Available(servicetest.Ctx(t, 5*time.Second)); err != nil {
		t.Errorf("Available with the keyring locked = %v; a locked keyring is there, and prompts", err)
	}
	start := time.Now()
	key, err := p.Unwrap(servicetest.Ctx(t, 10*time.Second), s, blob)
	if !errors.Is(err, protector.ErrLocked) {
		t.Fatalf("Unwrap with the keyring locked = %x, %v; want protector.ErrLocked", key, err)
	}
	t.Logf("Unwrap, locked: %v after %v", err, time.Since(start))
	if _, err := p.Wrap(servicetest.Ctx(t, 10*time.Second), s, servicetest.DeviceKeyStandIn); !errors.Is(err, protector.ErrLocked) {
		t.Fatalf("Wrap with the keyring locked = %v; want protector.ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the locked keyring took %v to report", d)
	}
	ss.Unlock()
	if key, err := p.Unwrap(servicetest.Ctx(t, 30*time.Second), s, blob); err != nil || !bytes.Equal(key, servicetest.DeviceKeyStandIn) {
		t.Fatalf("Unwrap after unlocking = %x, %v", key, err)
	}
}

// TestSecretServiceGone: with the Secret Service and its bus gone
// (killed), every call fails at once; once they are back (same keyring
// file), the blob unwraps.
func TestSecretServiceGone(t *testing.T) {
	ss := servicetest.StartSecretService(t)
	servicetest.CheckStopped(t, secretService{}, ss, protector.Scope{Dir: t.TempDir(), Store: "app:com.example.gone"})
}

// TestSecretServiceHung: a Secret Service that takes calls and never
// answers costs the caller its deadline, not a hang.
func TestSecretServiceHung(t *testing.T) {
	ss := servicetest.StartSecretService(t)
	servicetest.CheckHung(t, secretService{}, ss, protector.Scope{Dir: t.TempDir(), Store: "app:com.example.hung"}, true)
}
