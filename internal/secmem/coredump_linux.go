package secmem

import "golang.org/x/sys/unix"

// DisableCoreDumps keeps this process's memory out of core files and away
// from same-user debuggers: RLIMIT_CORE 0, and PR_SET_DUMPABLE 0, which
// also makes /proc/PID/mem and ptrace refuse other processes of the same
// user (unless they have CAP_SYS_PTRACE). Child processes inherit the
// limit; an exec resets dumpable.
func DisableCoreDumps() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
