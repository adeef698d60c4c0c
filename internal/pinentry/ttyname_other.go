//go:build !linux

package pinentry

import "os"

// TTYName returns the device name of the terminal f is; on this system it
// cannot tell (no /proc), so it returns "" and the caller relies on
// $GPG_TTY or a display.
func TTYName(f *os.File) string { return "" }
