package syncgroup

import (
	"errors"
	"fmt"
	"testing"

	"github.com/securestore-go/securestore"
)

// Distinctive strings that must never appear in etcd.
const (
	secretValue = "sv-7f3a9c-secret-value"
	secretName  = "sn-4b1e2d-secret-name"
	localValue  = "lv-0c9d8e-this-device-only"
	localName   = "ln-5a6b7c-this-device-only"
)

func TestTwoDevicesConverge(t *testing.T) {
	c := testCluster(t)
	devs := c.group(t, 2)
	a, b := devs[0], devs[1]
	a.set(secretName, secretValue)
	if err := a.store.SetItem(t.Context(), localName, localValue, &securestore.Options{KeychainAccessible: securestore.AlwaysThisDeviceOnly}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		a.set(fmt.Sprintf("a%02d", i), fmt.Sprintf("%s-a-%d", secretValue, i))
		b.set(fmt.Sprintf("b%02d", i), fmt.Sprintf("%s-b-%d", secretValue, i))
	}
	if err := b.store.DeleteItem(t.Context(), "b00", nil); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	got := checkConverged(t, a, b)
	if v, err := b.get(secretName); err != nil || v != secretValue {
		t.Fatalf("b: %s = %q, %v", secretName, v, err)
	}
	if _, err := a.get("b00"); !errors.Is(err, securestore.ErrNotFound) {
		t.Fatalf("a: b00 after b deleted it: %v", err)
	}
	if _, err := b.get(localName); !errors.Is(err, securestore.ErrNotFound) {
		t.Fatalf("b has a's ThisDeviceOnly item: %v", err)
	}
	if len(got) != 41 {
		t.Fatalf("%d synchronizable items, want 41", len(got))
	}
	c.checkEtcdBlind(t, secretValue, secretName, localValue, localName)
}
