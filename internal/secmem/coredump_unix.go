//go:build unix && !linux

package secmem

import "golang.org/x/sys/unix"

// DisableCoreDumps keeps this process's memory out of core files:
// RLIMIT_CORE 0. (Linux also clears the dumpable flag.)
func DisableCoreDumps() error {
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
}
