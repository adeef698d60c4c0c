//go:build unix && !linux

package secmem

// noDump does nothing here: the BSDs' MADV_NOCORE is not in every
// x/sys/unix port, and DisableCoreDumps covers the whole process anyway.
func noDump([]byte) {}
