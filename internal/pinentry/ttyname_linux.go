package pinentry

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// TTYName returns the device name of the terminal f is, e.g.
// "/dev/pts/3", or "" when f is not a terminal. A client tells the agent
// where to prompt with it, as gpg's users set $GPG_TTY to $(tty).
func TTYName(f *os.File) string {
	fd := int(f.Fd())
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
		return ""
	}
	name, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil || !strings.HasPrefix(name, "/dev/") {
		return ""
	}
	return name
}
