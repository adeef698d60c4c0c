package protector

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// ProbeTimeout bounds each Available call that Choose makes, so that a hung
// D-Bus service or TPM never hangs Open.
const ProbeTimeout = 3 * time.Second

// Auto is the name that selects the best available protector.
const Auto = "auto"

// Set is an ordered set of protectors, one per name: the protectors a
// store may be created with, in the order Auto tries them. Lower
// preferences come first (Preference*), then names in byte order.
//
// securestore builds its set explicitly (the root package's
// protectors.go): tpm, the platform's key store, file, and then whatever
// the program added with Register. The zero Set is empty and ready to
// use; a Set is not safe for concurrent Add.
type Set struct {
	entries []entry // sorted by preference, then name
}

type entry struct {
	p          Protector
	preference int
}

// Add puts p in the set under p.Name() with the given preference,
// replacing any protector of that name.
func (s *Set) Add(p Protector, preference int) {
	s.entries = slices.DeleteFunc(s.entries, func(e entry) bool { return e.p.Name() == p.Name() })
	i, _ := slices.BinarySearchFunc(s.entries, entry{p, preference}, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.preference, b.preference), strings.Compare(a.p.Name(), b.p.Name()))
	})
	s.entries = slices.Insert(s.entries, i, entry{p, preference})
}

// AddAll adds every protector of other to s, with its preference.
func (s *Set) AddAll(other *Set) {
	for _, e := range other.entries {
		s.Add(e.p, e.preference)
	}
}

// Lookup returns the protector called name; the error wraps ErrUnknown.
func (s *Set) Lookup(name string) (Protector, error) {
	for _, e := range s.entries {
		if e.p.Name() == name {
			return e.p, nil
		}
	}
	return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknown, name, s.Names())
}

// Names lists the protectors in the order Auto tries them.
func (s *Set) Names() []string {
	names := make([]string, len(s.entries))
	for i, e := range s.entries {
		names[i] = e.p.Name()
	}
	return names
}

// Probe is the outcome of asking one protector whether it is available.
type Probe struct {
	Name string
	Err  error // nil when available
}

// Choose returns the first available protector in the order of the set,
// and the probes that it made, which say why any better one was passed
// over. Each probe has its own deadline (ProbeTimeout), which holds even
// against an Available that ignores its context.
func (s *Set) Choose(ctx context.Context) (Protector, []Probe, error) {
	var probes []Probe
	for _, e := range s.entries {
		err := probe(ctx, e.p)
		probes = append(probes, Probe{Name: e.p.Name(), Err: err})
		if err == nil {
			return e.p, probes, nil
		}
		if ctx.Err() != nil {
			return nil, probes, ctx.Err()
		}
	}
	return nil, probes, fmt.Errorf("%w: no protector is available", ErrUnavailable)
}

// Select returns the protector that name asks for, once it has said it is
// available: for Auto, the one Choose picks; for any other name, that
// protector or an error, never another one in its place. Its probe has
// the same deadline as Choose's.
func (s *Set) Select(ctx context.Context, name string) (Protector, error) {
	if name == Auto {
		p, _, err := s.Choose(ctx)
		return p, err
	}
	p, err := s.Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := probe(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// ProbeAll asks every protector of the set, in order, whether it is
// available, and returns one Probe each. Unlike Choose it does not stop
// at the first available one: `securestore doctor` uses it to say why
// each protector was or was not chosen.
func (s *Set) ProbeAll(ctx context.Context) []Probe {
	probes := make([]Probe, 0, len(s.entries))
	for _, e := range s.entries {
		probes = append(probes, Probe{Name: e.p.Name(), Err: probe(ctx, e.p)})
	}
	return probes
}

// The protectors a program added with Register.
var (
	registeredMu sync.Mutex
	registered   Set
)

// Register adds a protector of the program's own to those that securestore
// offers, under p.Name() and with the given preference: below
// PreferenceFallback, "auto" may pick it; above, only stores that name it
// use it. A name that is already taken, by a built-in protector or an
// earlier Register, is replaced. Call it before opening stores, typically
// from main or an init function.
func Register(p Protector, preference int) {
	registeredMu.Lock()
	defer registeredMu.Unlock()
	registered.Add(p, preference)
}

// Registered returns a copy of the protectors added with Register, for a
// program that builds a Set of its own.
func Registered() *Set {
	registeredMu.Lock()
	defer registeredMu.Unlock()
	return &Set{entries: slices.Clone(registered.entries)}
}
