//go:build unix

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

// Concurrent writers on three devices, to the same items and to their
// own: every device ends with the same items, each item at the highest
// (Lamport, device) version written, and no device's last write to an
// item of its own is lost.
func TestConcurrentWriters(t *testing.T) {
	c := testCluster(t)
	devs := c.group(t, 3)
	done := make(chan error, len(devs))
	for i, d := range devs {
		go func() {
			for n := range 30 {
				if err := d.store.SetItem(t.Context(), fmt.Sprintf("shared%d", n%5), fmt.Sprintf("%s-%d-%d", secretValue, i, n), synced); err != nil {
					done <- err
					return
				}
				if err := d.store.SetItem(t.Context(), fmt.Sprintf("own%d-%d", i, n%7), fmt.Sprintf("v%d", n), synced); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range devs {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	settle(t, devs...)
	got := checkConverged(t, devs...)
	for i := range devs {
		for k := range 7 {
			// The last write to own<i>-<k> was n = 28 - (28-k)%7 ... the
			// largest n < 30 with n%7 == k.
			n := k + 7*((29-k)/7)
			key := fmt.Sprintf("app/own%d-%d", i, k)
			if want := fmt.Sprintf("=v%d", n); !hasSuffix(got[key], want) {
				t.Errorf("%s = %q, want the last write %q", key, got[key], want)
			}
		}
	}
	if len(got) != 5+3*7 {
		t.Errorf("%d items, want %d", len(got), 5+3*7)
	}
	c.checkEtcdBlind(t, secretValue)
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// A partition: one device's sync stops, both sides write (the same items
// and others), sync resumes: the devices converge by the documented rule,
// and every write the rule says wins is there.
func TestPartitionConverges(t *testing.T) {
	c := testCluster(t)
	devs := c.group(t, 2)
	a, b := devs[0], devs[1]
	a.set("k", "before")
	settle(t, a, b)
	b.stop()
	a.set("k", "from-a")
	a.set("only-a", "a")
	b.set("k", "from-b-1")
	b.set("k", "from-b-2") // b's clock is now ahead for k
	b.set("only-b", "b")
	settle(t, a) // a pushes while b is away
	stA, _ := a.g.rep.State(t.Context(), "app", "k")
	stB, _ := b.g.rep.State(t.Context(), "app", "k")
	b.start()
	settle(t, a, b)
	got := checkConverged(t, a, b)
	want := "from-a"
	if stB.Lamport > stA.Lamport || stB.Lamport == stA.Lamport && b.g.Device() > a.g.Device() {
		want = "from-b-2"
	}
	if v, _ := a.get("k"); v != want {
		t.Errorf("k = %q after the partition, want %q (a's version %d, b's %d)", v, want, stA.Lamport, stB.Lamport)
	}
	for _, k := range []string{"only-a", "only-b"} {
		if _, ok := got["app/"+k]; !ok {
			t.Errorf("%s was lost", k)
		}
	}
}
