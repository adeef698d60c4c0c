package protector

import "context"

// probe asks p whether it is available, within ProbeTimeout (or ctx's
// earlier deadline). It runs Available through callOS, so a protector
// whose Available ignores its context still cannot hang the caller.
func probe(ctx context.Context, p Protector) error {
	pctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	_, err := callOS(pctx, p.Name()+" protector: availability probe", func() (struct{}, error) {
		return struct{}{}, p.Available(pctx)
	}, nil)
	return err
}

// ProbeAll asks every registered protector, in the order Auto tries them,
// whether it is available, and returns one Probe each. Unlike Choose it
// does not stop at the first available one: `securestore doctor` uses it
// to say why each protector was or was not chosen.
func ProbeAll(ctx context.Context) []Probe {
	var probes []Probe
	for _, name := range Names() {
		p, err := Lookup(name)
		if err != nil {
			continue
		}
		probes = append(probes, Probe{Name: name, Err: probe(ctx, p)})
	}
	return probes
}
