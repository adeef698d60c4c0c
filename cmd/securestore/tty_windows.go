package main

import (
	"errors"
	"os"

	"golang.org/x/term"
)

// openTTY opens the console: CONIN$ to read, CONOUT$ to write. They are
// the console even when the standard streams are redirected.
func openTTY() (*tty, error) {
	in, err := os.OpenFile("CONIN$", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if !term.IsTerminal(int(in.Fd())) {
		in.Close()
		return nil, errors.New("CONIN$ is not a console")
	}
	out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		in.Close()
		return nil, err
	}
	return &tty{in: in, out: out}, nil
}
