// Package testonly carries the one setting that only tests may change:
// key derivations cheap enough to run by the hundred. A test opens a store
// with a context from WithCheapKDFs; securestore.Open reads it with
// CheapKDFs and gives that store, and no other, cheap passcode and export
// derivations. Nothing outside tests calls WithCheapKDFs (grep for it), and
// being internal, nothing outside this module can: a program's stores
// always derive at full cost.
//
// A context, rather than a package variable, so that one test's cheap
// store never makes a benchmark beside it, or a store another test opens,
// cheap too.
package testonly

import "context"

type cheapKDFsKey struct{}

// WithCheapKDFs returns ctx marked so that stores opened with it derive
// passcode and export keys cheaply.
func WithCheapKDFs(ctx context.Context) context.Context {
	return context.WithValue(ctx, cheapKDFsKey{}, true)
}

// CheapKDFs reports whether ctx asks for cheap key derivations.
func CheapKDFs(ctx context.Context) bool {
	cheap, _ := ctx.Value(cheapKDFsKey{}).(bool)
	return cheap
}
