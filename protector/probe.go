package protector

import "context"

// probe asks p whether it is available, within ProbeTimeout (or ctx's
// earlier deadline). It runs Available through CallOS, so a protector
// whose Available ignores its context still cannot hang the caller.
func probe(ctx context.Context, p Protector) error {
	pctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	_, err := CallOS(pctx, p.Name()+" protector: availability probe", func() (struct{}, error) {
		return struct{}{}, p.Available(pctx)
	}, nil)
	return err
}
