//go:build !unix

package secmem

// DisableCoreDumps does nothing here: Windows writes no core file of a
// process unless a debugger or Windows Error Reporting is set up for it.
func DisableCoreDumps() error { return nil }
