//go:build unix

package pinentry

import "golang.org/x/sys/unix"

// canOpenTTY opens name without making it the controlling terminal and
// without blocking on a line that waits for a carrier.
func canOpenTTY(name string) bool {
	fd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}
