//go:build unix

package syncgroup

import "testing"

// Close zeroes the group keys it held and drops the device's private key,
// so that nothing of them outlives the Group in this process.
func TestCloseWipesKeys(t *testing.T) {
	c := testCluster(t)
	d := c.group(t, 1)[0]
	_, _, b, err := d.g.current()
	if err != nil {
		t.Fatal(err)
	}
	held := b // the same bytes the Group holds
	d.stop()
	if err := d.g.Close(); err != nil {
		t.Fatal(err)
	}
	for i, x := range held {
		if x != 0 {
			t.Fatalf("byte %d of the group key bundle is not zeroed after Close", i)
		}
	}
	d.g.mu.Lock()
	defer d.g.mu.Unlock()
	if d.g.priv != nil || len(d.g.bundles) != 0 {
		t.Fatalf("after Close: private key kept %v, %d bundles kept", d.g.priv != nil, len(d.g.bundles))
	}
}
