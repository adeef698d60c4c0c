package securestore

import (
	"context"
	"runtime"
	"slices"
	"testing"
)

// TestDefaultProtectors: the default set is tpm, this platform's key
// store, file, then the protectors registered with protector.Register
// (testprotectors_test.go's); ProbeAll probes each once, in that order;
// and on Windows "auto" picks DPAPI before the key file.
func TestDefaultProtectors(t *testing.T) {
	platform := map[string]string{"linux": "secretservice", "freebsd": "secretservice", "openbsd": "secretservice",
		"netbsd": "secretservice", "darwin": "keychain", "windows": "dpapi"}[runtime.GOOS]
	want := []string{"tpm"}
	if platform != "" {
		want = append(want, platform)
	}
	want = append(want, "file")
	set := defaultProtectors()
	names := set.Names()
	if !slices.Equal(names[:len(want)], want) {
		t.Fatalf("default protectors = %v, want %v first", names, want)
	}
	for _, n := range []string{"test-kms", "test-unavailable"} {
		if !slices.Contains(names[len(want):], n) {
			t.Errorf("registered protector %q is not after the built-in ones in %v", n, names)
		}
	}
	probes := set.ProbeAll(context.Background())
	for i, p := range probes {
		if i >= len(names) || p.Name != names[i] {
			t.Fatalf("ProbeAll = %v, not one probe per protector in the order %v", probes, names)
		}
	}
	if len(probes) != len(names) {
		t.Fatalf("ProbeAll probed %d of %d protectors", len(probes), len(names))
	}
	if runtime.GOOS == "windows" {
		if p, probes, err := set.Choose(context.Background()); err != nil || p.Name() != "dpapi" {
			t.Fatalf("auto = %v (probes %v), %v; want dpapi before file", p, probes, err)
		}
	}
}
