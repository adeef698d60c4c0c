package protector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

type stub struct {
	name string
	err  error
}

func (s stub) Name() string                                        { return s.name }
func (s stub) Available(context.Context) error                     { return s.err }
func (stub) Wrap(context.Context, Scope, []byte) ([]byte, error)   { return nil, nil }
func (stub) Unwrap(context.Context, Scope, []byte) ([]byte, error) { return nil, nil }

// hung is a protector whose Available ignores its context and blocks.
type hung struct {
	stub
	started, release chan struct{}
}

func (h hung) Available(context.Context) error {
	close(h.started)
	<-h.release
	return nil
}

func init() {
	// Before every real protector, and never available: auto must skip
	// it and say why. Its name sorts it within its preference.
	Register(stub{"test-unavailable-first", fmt.Errorf("no device: %w", ErrUnavailable)}, 1)
	Register(stub{"zz-test-late", nil}, PreferenceFallback+1)
	Register(stub{"aa-test-late", nil}, PreferenceFallback+1)
}

// TestAutoOrder: Names and Choose follow the preferences, then the names;
// the file protector is the last built-in one; an unavailable protector
// is passed over with its reason in the probes.
func TestAutoOrder(t *testing.T) {
	names := Names()
	file, aa, zz := slices.Index(names, "file"), slices.Index(names, "aa-test-late"), slices.Index(names, "zz-test-late")
	if names[0] != "test-unavailable-first" || !(file < aa && aa+1 == zz) {
		t.Fatalf("Names() = %v", names)
	}
	for _, platform := range []string{"dpapi", "keychain"} {
		if i := slices.Index(names, platform); i >= 0 && i > slices.Index(names, "file") {
			t.Errorf("%s comes after file in %v", platform, names)
		}
	}
	p, probes, err := Choose(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if probes[0].Name != "test-unavailable-first" || probes[0].Err == nil || probes[len(probes)-1].Name != p.Name() {
		t.Fatalf("Choose = %s with probes %v", p.Name(), probes)
	}
	all := ProbeAll(context.Background())
	if len(all) != len(names) {
		t.Fatalf("ProbeAll probed %d of %d protectors", len(all), len(names))
	}
}

// TestProbeDeadlineHoldsAgainstIgnoredContext: an Available that ignores
// its context cannot hang Choose: probe returns when the context ends.
func TestProbeDeadlineHoldsAgainstIgnoredContext(t *testing.T) {
	h := hung{stub{name: "hung"}, make(chan struct{}), make(chan struct{})}
	defer close(h.release)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- probe(ctx, h) }()
	<-h.started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("probe of a hung protector = %v, want context.Canceled", err)
	}
}

// TestSelect: a named protector is returned only if available, and an
// unavailable one is an error, never another protector in its place;
// "auto" is Choose; a name nobody registered is an error. A hung named
// protector is covered by probe's deadline (above): Select goes through
// it, as Choose does.
func TestSelect(t *testing.T) {
	ctx := context.Background()
	if p, err := Select(ctx, "zz-test-late"); err != nil || p.Name() != "zz-test-late" {
		t.Fatalf("Select(available) = %v, %v", p, err)
	}
	if p, err := Select(ctx, "test-unavailable-first"); !errors.Is(err, ErrUnavailable) || p != nil {
		t.Fatalf("Select(unavailable) = %v, %v; want ErrUnavailable and no protector", p, err)
	}
	chosen, _, err := Choose(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := Select(ctx, Auto); err != nil || p.Name() != chosen.Name() {
		t.Fatalf("Select(auto) = %v, %v; Choose picks %s", p, err, chosen.Name())
	}
	if _, err := Select(ctx, "no-such-protector"); err == nil {
		t.Fatal("Select of an unregistered name succeeded")
	}
}
