package protector

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// ProbeTimeout bounds each Available call that Auto makes, so that a hung
// D-Bus service or TPM never hangs Open.
const ProbeTimeout = 3 * time.Second

// Auto is the name that selects the best available protector.
const Auto = "auto"

var (
	mu         sync.RWMutex
	registered = map[string]registration{}
)

type registration struct {
	p          Protector
	preference int
}

// Register makes p available under p.Name(). Auto tries protectors with a
// lower preference first; the file protector has the highest value, as the
// fallback of last resort. Registering a name twice replaces the first.
func Register(p Protector, preference int) {
	mu.Lock()
	defer mu.Unlock()
	registered[p.Name()] = registration{p, preference}
}

// Lookup returns the protector registered under name.
func Lookup(name string) (Protector, error) {
	mu.RLock()
	defer mu.RUnlock()
	r, ok := registered[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknown, name, namesLocked())
	}
	return r.p, nil
}

// Names lists the registered protectors in the order Auto tries them.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	names := make([]string, 0, len(registered))
	for n := range registered {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := registered[names[i]], registered[names[j]]
		if a.preference != b.preference {
			return a.preference < b.preference
		}
		return names[i] < names[j]
	})
	return names
}

// Probe is the outcome of asking one protector whether it is available.
type Probe struct {
	Name string
	Err  error // nil when available
}

// Choose returns the first available protector in preference order, and
// the probes that it made, which say why any better one was passed over.
// Each probe has its own deadline (ProbeTimeout), which holds even against
// an Available that ignores its context.
func Choose(ctx context.Context) (Protector, []Probe, error) {
	var probes []Probe
	for _, name := range Names() {
		p, err := Lookup(name)
		if err != nil {
			continue
		}
		err = probe(ctx, p)
		probes = append(probes, Probe{Name: name, Err: err})
		if err == nil {
			return p, probes, nil
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
func Select(ctx context.Context, name string) (Protector, error) {
	if name == Auto {
		p, _, err := Choose(ctx)
		return p, err
	}
	p, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := probe(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}
