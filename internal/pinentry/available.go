package pinentry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

// Available reports whether AskPasscode could reach the user now: nil when
// there is a pinentry program and a place to show it, else ErrNoPinentry
// or ErrNoTerminal (or ctx's error). It starts nothing: it looks for the
// program, for the terminal TTY (a character device this process may open
// for reading and writing), and for $DISPLAY or $WAYLAND_DISPLAY in the
// program's environment. A text pinentry (pinentry-tty, pinentry-curses)
// needs the terminal; the others can use either, since they fall back to
// curses without a display.
func (p *Pinentry) Available(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return contextError(err)
	}
	path, err := p.program()
	if err != nil {
		return err
	}
	if p.TTY != "" && ttyUsable(p.TTY) {
		return nil
	}
	if textOnly(path) {
		return ErrNoTerminal
	}
	env := p.environ()
	if lookupEnv(env, "DISPLAY") != "" || lookupEnv(env, "WAYLAND_DISPLAY") != "" {
		return nil
	}
	return ErrNoTerminal
}

// textOnly tells the pinentries that can only use a terminal by their
// names, as Debian and upstream install them.
func textOnly(path string) bool {
	name := filepath.Base(path)
	return strings.HasSuffix(name, "-tty") || strings.HasSuffix(name, "-curses")
}

// ttyUsable reports whether name is a character device that this process
// can open for reading and writing, the way pinentry-tty will.
func ttyUsable(name string) bool {
	fi, err := os.Stat(name)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return canOpenTTY(name)
}
