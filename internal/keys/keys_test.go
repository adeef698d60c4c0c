package keys

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"testing"
)

func TestMetadataIsKeyedAndScoped(t *testing.T) {
	dev := bytes.Repeat([]byte{1}, Size)
	m := DeriveMetadata(dev, "app:a")
	id := m.ItemID("svc", "key")
	if !bytes.Equal(id, m.ItemID("svc", "key")) {
		t.Fatal("ItemID is not deterministic")
	}
	for name, other := range map[string][]byte{
		"other key":     m.ItemID("svc", "key2"),
		"other service": m.ItemID("svc2", "key"),
		"shifted bytes": m.ItemID("svck", "ey"),
		"other store":   DeriveMetadata(dev, "app:b").ItemID("svc", "key"),
		"other device":  DeriveMetadata(bytes.Repeat([]byte{2}, Size), "app:a").ItemID("svc", "key"),
	} {
		if bytes.Equal(id, other) {
			t.Errorf("ItemID collides with %s", name)
		}
	}
	if bytes.Equal(m.ServiceTag("svc"), id[:len(m.ServiceTag("svc"))]) {
		t.Error("service tag and item id share a key")
	}
	blob := m.SealName(id, "svc", "key")
	s, k, err := m.OpenName(id, blob)
	if err != nil || s != "svc" || k != "key" {
		t.Fatalf("OpenName = %q %q %v", s, k, err)
	}
	if _, _, err := m.OpenName(m.ItemID("svc", "other"), blob); err == nil {
		t.Error("a name opened under another item's id")
	}
}

func TestClassKeyWrap(t *testing.T) {
	kek := DeviceKEK(bytes.Repeat([]byte{3}, Size), "app:a")
	ck := New()
	blob := WrapClassKey(kek, "app:a", 2, WrapDevice, ck)
	got, err := UnwrapClassKey(kek, "app:a", 2, WrapDevice, blob)
	if err != nil || !bytes.Equal(got, ck) {
		t.Fatalf("unwrap = %x, %v", got, err)
	}
	for _, c := range []struct {
		store    string
		class, w uint8
	}{{"app:b", 2, WrapDevice}, {"app:a", 3, WrapDevice}, {"app:a", 2, WrapDevicePasscode}} {
		if _, err := UnwrapClassKey(kek, c.store, c.class, c.w, blob); err == nil {
			t.Errorf("class key unwrapped as %+v", c)
		}
	}
	if _, err := UnwrapClassKey(DeviceKEK(New(), "app:a"), "app:a", 2, WrapDevice, blob); err == nil {
		t.Error("class key unwrapped under another device key")
	}
}

// TestPasscodeKEK pins the derivation to docs/FORMAT.md: HKDF-SHA256 of
// device key ‖ passcode key, so that stores with a passcode keep opening.
func TestPasscodeKEK(t *testing.T) {
	dev, pk := bytes.Repeat([]byte{4}, Size), bytes.Repeat([]byte{5}, Size)
	want, err := hkdf.Key(sha256.New, append(bytes.Clone(dev), pk...), nil, "securestore passcode kek v1\x00app:a", Size)
	if err != nil {
		t.Fatal(err)
	}
	if got := PasscodeKEK(dev, pk, "app:a"); !bytes.Equal(got, want) {
		t.Fatalf("PasscodeKEK = %x, want %x", got, want)
	}
	if bytes.Equal(PasscodeKEK(dev, pk, "app:b"), want) {
		t.Error("PasscodeKEK does not depend on the store")
	}
}

// TestBoundPasscodeKEK: the v2 KEK is the documented HKDF of device key,
// passcode key and bound secret, depends on each, and differs from the
// auth that goes to the hardware (which in turn is not the passcode key).
func TestBoundPasscodeKEK(t *testing.T) {
	dev, pk, bound := bytes.Repeat([]byte{4}, Size), bytes.Repeat([]byte{5}, Size), bytes.Repeat([]byte{6}, Size)
	in := append(append(bytes.Clone(dev), pk...), bound...)
	want, err := hkdf.Key(sha256.New, in, nil, "securestore passcode kek v2\x00app:a", Size)
	if err != nil {
		t.Fatal(err)
	}
	got := BoundPasscodeKEK(dev, pk, bound, "app:a")
	if !bytes.Equal(got, want) {
		t.Fatalf("BoundPasscodeKEK = %x, want %x", got, want)
	}
	if bytes.Equal(got, PasscodeKEK(dev, pk, "app:a")) {
		t.Error("the bound KEK equals the unbound one")
	}
	if bytes.Equal(BoundPasscodeKEK(dev, pk, bytes.Repeat([]byte{7}, Size), "app:a"), want) {
		t.Error("the bound KEK does not depend on the bound secret")
	}
	auth := PasscodeAuth(pk, "app:a")
	wantAuth, _ := hkdf.Key(sha256.New, pk, nil, "securestore passcode auth v1\x00app:a", Size)
	if !bytes.Equal(auth, wantAuth) || bytes.Equal(auth, pk) || bytes.Equal(auth, want) {
		t.Errorf("PasscodeAuth = %x: want the documented HKDF, neither the passcode key nor the KEK", auth)
	}
	if bytes.Equal(PasscodeAuth(pk, "app:b"), auth) {
		t.Error("PasscodeAuth does not depend on the store")
	}
}

// TestDeriveIsHKDF: the wiping HKDF gives crypto/hkdf's bytes.
func TestDeriveIsHKDF(t *testing.T) {
	for _, secret := range [][]byte{nil, []byte("short"), bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 200)} {
		for _, info := range []string{"", "item id", "securestore passcode kek v1\x00app:a"} {
			want, err := hkdf.Key(sha256.New, secret, nil, info, Size)
			if err != nil {
				t.Fatal(err)
			}
			if got := derive(secret, info); !bytes.Equal(got, want) {
				t.Errorf("derive(%d bytes, %q) = %x, want %x", len(secret), info, got, want)
			}
		}
	}
}
