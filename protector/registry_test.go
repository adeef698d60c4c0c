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

// testSet is a set like securestore's: a hardware protector that is not
// available, a platform one, a fallback, and two late ones added out of
// order, whose names order them within their preference.
func testSet() *Set {
	var s Set
	s.Add(stub{"zz-test-late", nil}, PreferenceFallback+1)
	s.Add(stub{"fallback", nil}, PreferenceFallback)
	s.Add(stub{"platform", nil}, PreferencePlatform)
	s.Add(stub{"hardware", fmt.Errorf("no device: %w", ErrUnavailable)}, PreferenceHardware)
	s.Add(stub{"aa-test-late", nil}, PreferenceFallback+1)
	return &s
}

// TestAutoOrder: Names and Choose follow the preferences, then the names;
// an unavailable protector is passed over with its reason in the probes;
// ProbeAll probes every one, in the same order.
func TestAutoOrder(t *testing.T) {
	s := testSet()
	want := []string{"hardware", "platform", "fallback", "aa-test-late", "zz-test-late"}
	if names := s.Names(); !slices.Equal(names, want) {
		t.Fatalf("Names() = %v, want %v", names, want)
	}
	p, probes, err := s.Choose(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "platform" || len(probes) != 2 || probes[0].Name != "hardware" || !errors.Is(probes[0].Err, ErrUnavailable) {
		t.Fatalf("Choose = %s with probes %v", p.Name(), probes)
	}
	all := s.ProbeAll(context.Background())
	if len(all) != len(want) || all[0].Err == nil || all[1].Err != nil {
		t.Fatalf("ProbeAll = %v", all)
	}
	for i, pr := range all {
		if pr.Name != want[i] {
			t.Fatalf("ProbeAll = %v, not in the order %v", all, want)
		}
	}
}

// TestAddReplaces: adding a name again replaces the protector and moves it
// to its new preference; Lookup of an unknown name wraps ErrUnknown.
func TestAddReplaces(t *testing.T) {
	s := testSet()
	s.Add(stub{"hardware", nil}, PreferenceFallback+2)
	if names := s.Names(); !slices.Equal(names, []string{"platform", "fallback", "aa-test-late", "zz-test-late", "hardware"}) {
		t.Fatalf("Names() after replacing hardware = %v", names)
	}
	if p, err := s.Lookup("hardware"); err != nil || p.Available(context.Background()) != nil {
		t.Fatalf("Lookup(hardware) = %v, %v; want the replacement", p, err)
	}
	if _, err := s.Lookup("no-such-protector"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Lookup(unknown) = %v, want ErrUnknown", err)
	}
	var empty Set
	if _, _, err := empty.Choose(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Choose from an empty set = %v, want ErrUnavailable", err)
	}
}

// TestRegister: Register adds to the set Registered returns, whose copy a
// caller may change without touching the registrations.
func TestRegister(t *testing.T) {
	Register(stub{"test-registered", nil}, PreferencePlatform+50)
	got := Registered()
	if _, err := got.Lookup("test-registered"); err != nil {
		t.Fatalf("Registered() lacks a registered protector: %v", err)
	}
	got.Add(stub{"test-not-registered", nil}, PreferencePlatform)
	if _, err := Registered().Lookup("test-not-registered"); err == nil {
		t.Fatal("adding to the copy that Registered returned registered a protector")
	}
	s := testSet()
	s.AddAll(Registered())
	if names := s.Names(); slices.Index(names, "test-registered") != 2 {
		t.Fatalf("AddAll(Registered()) ordered %v", names)
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
// "auto" is Choose; a name that is not in the set is an error. A hung
// named protector is covered by probe's deadline (above): Select goes
// through it, as Choose does.
func TestSelect(t *testing.T) {
	ctx := context.Background()
	s := testSet()
	if p, err := s.Select(ctx, "zz-test-late"); err != nil || p.Name() != "zz-test-late" {
		t.Fatalf("Select(available) = %v, %v", p, err)
	}
	if p, err := s.Select(ctx, "hardware"); !errors.Is(err, ErrUnavailable) || p != nil {
		t.Fatalf("Select(unavailable) = %v, %v; want ErrUnavailable and no protector", p, err)
	}
	chosen, _, err := s.Choose(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Select(ctx, Auto); err != nil || p.Name() != chosen.Name() {
		t.Fatalf("Select(auto) = %v, %v; Choose picks %s", p, err, chosen.Name())
	}
	if _, err := s.Select(ctx, "no-such-protector"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Select of a name not in the set = %v, want ErrUnknown", err)
	}
}
