//go:build unix

package secmem

import "golang.org/x/sys/unix"

// alloc maps n bytes of anonymous private memory and tries to lock them.
func alloc(n int) (b []byte, locked, ok bool) {
	m, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, false, false
	}
	noDump(m)
	// EPERM (no privilege) or ENOMEM (over RLIMIT_MEMLOCK): the key still
	// works, only it may reach swap. Locked() tells.
	locked = unix.Mlock(m) == nil
	return m[:n:n], locked, true
}

// release unlocks and unmaps memory from alloc, which the caller zeroed.
func release(b []byte, locked bool) {
	if locked {
		_ = unix.Munlock(b)
	}
	// Munmap fails only for memory that is not a mapping of ours.
	if err := unix.Munmap(b); err != nil {
		panic("secmem: munmap: " + err.Error())
	}
}
