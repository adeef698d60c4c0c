//go:build !windows

package main

import (
	"errors"
	"os"

	"golang.org/x/term"
)

// openTTY opens /dev/tty, the process's controlling terminal. It fails
// when there is none: under cron, in CI, or with setsid.
func openTTY() (*tty, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if !term.IsTerminal(int(f.Fd())) {
		f.Close()
		return nil, errors.New("/dev/tty is not a terminal")
	}
	return &tty{in: f, out: f}, nil
}
