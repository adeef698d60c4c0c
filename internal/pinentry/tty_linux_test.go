package pinentry

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/secmem"
	"github.com/securestore-go/securestore/internal/servicetest"
)

type askResult struct {
	pass *secmem.Buffer
	err  error
}

// ask runs AskPasscode in the background, as the agent would while the
// user types.
func ask(ctx context.Context, p *Pinentry, prompt Prompt) <-chan askResult {
	ch := make(chan askResult, 1)
	go func() {
		pass, err := p.AskPasscode(ctx, prompt)
		ch <- askResult{pass, err}
	}()
	return ch
}

// TestTTYPasscode drives the real pinentry-tty: the description (with a
// percent sign and a line break, escaped on the wire) and the label show
// on the terminal, and what the user types comes back byte for byte,
// including the characters the Assuan protocol escapes.
func TestTTYPasscode(t *testing.T) {
	term := openPTY(t)
	p := &Pinentry{Program: pinentryTTY(t), TTY: term.name, TermType: "xterm", Env: []string{"PATH=/usr/bin:/bin"}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res := ask(ctx, p, Prompt{
		Title:       "securestore",
		Description: "Unlock 100% of the store\nof example.app",
		Prompt:      "Passcode",
	})
	term.waitFor(t, "Passcode:")
	for _, want := range []string{"Unlock 100% of the store", "of example.app"} {
		if !strings.Contains(term.seen.String(), want) {
			t.Errorf("the terminal did not show %q: %q", want, term.seen.String())
		}
	}
	const typed = `pa%ss w0rd\ +%0A`
	term.type_(t, typed+"\n")
	r := <-res
	if r.err != nil {
		t.Fatalf("AskPasscode: %v", r.err)
	}
	defer r.pass.Free()
	if string(r.pass.Bytes()) != typed {
		t.Fatalf("passcode %q, want %q", r.pass.Bytes(), typed)
	}
	if !term.echoes(t) {
		t.Error("the terminal does not echo after pinentry-tty ended")
	}
}

// TestTTYCancel: Ctrl-D at the prompt (end of input) is a cancel.
func TestTTYCancel(t *testing.T) {
	term := openPTY(t)
	p := &Pinentry{Program: pinentryTTY(t), TTY: term.name, Env: []string{"PATH=/usr/bin:/bin"}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res := ask(ctx, p, Prompt{Prompt: "Passcode:"})
	term.waitFor(t, "Passcode:")
	term.type_(t, "\x04")
	r := <-res
	if !errors.Is(r.err, ErrCanceled) {
		t.Fatalf("AskPasscode after Ctrl-D: %v, %v; want ErrCanceled", r.pass, r.err)
	}
}

// TestTTYTimeout: nobody types. pinentry-tty is told the time left
// (SETTIMEOUT) and gives up by itself, restoring the terminal's echo; the
// caller gets ErrTimeout.
func TestTTYTimeout(t *testing.T) {
	term := openPTY(t)
	p := &Pinentry{Program: pinentryTTY(t), TTY: term.name, Env: []string{"PATH=/usr/bin:/bin"}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res := ask(ctx, p, Prompt{Prompt: "Passcode:"})
	term.waitFor(t, "Passcode:")
	r := <-res
	if !errors.Is(r.err, ErrTimeout) {
		t.Fatalf("AskPasscode with nobody typing: %v, %v; want ErrTimeout", r.pass, r.err)
	}
	if !term.echoes(t) {
		t.Error("the terminal does not echo after the timeout")
	}
}

// TestTTYContextCanceled: the caller gives up (the agent locks or ends)
// while the prompt is up: pinentry-tty is interrupted, restores the
// terminal, and the caller gets context.Canceled.
func TestTTYContextCanceled(t *testing.T) {
	term := openPTY(t)
	p := &Pinentry{Program: pinentryTTY(t), TTY: term.name, Env: []string{"PATH=/usr/bin:/bin"}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := ask(ctx, p, Prompt{Prompt: "Passcode:"})
	term.waitFor(t, "Passcode:")
	cancel()
	r := <-res
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("AskPasscode after cancel: %v, %v; want context.Canceled", r.pass, r.err)
	}
	if !term.echoes(t) {
		t.Error("the terminal does not echo after the interrupted prompt")
	}
}

// TestAvailableTTY: pinentry-tty with a terminal can prompt; without one
// (and whatever the display) it cannot; a missing program is
// ErrNoPinentry.
func TestAvailableTTY(t *testing.T) {
	term := openPTY(t)
	ctx := context.Background()
	prog := pinentryTTY(t)
	if err := (&Pinentry{Program: prog, TTY: term.name}).Available(ctx); err != nil {
		t.Errorf("pinentry-tty with a terminal: %v", err)
	}
	if err := (&Pinentry{Program: prog, Env: []string{"DISPLAY=:0"}}).Available(ctx); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("pinentry-tty without a terminal: %v, want ErrNoTerminal", err)
	}
	if err := (&Pinentry{Program: prog, TTY: "/nonexistent/tty"}).Available(ctx); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("pinentry-tty on a missing terminal: %v, want ErrNoTerminal", err)
	}
	if err := (&Pinentry{Program: "/nonexistent/pinentry"}).Available(ctx); !errors.Is(err, ErrNoPinentry) {
		t.Errorf("missing program: %v, want ErrNoPinentry", err)
	}
}

func TestTTYName(t *testing.T) {
	term := openPTY(t)
	if got := TTYName(term.slave); got != term.name {
		t.Errorf("TTYName(pty) = %q, want %q", got, term.name)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := TTYName(f); got != "" {
		t.Errorf("TTYName(/dev/null) = %q, want \"\"", got)
	}
}

// TestCursesPasscode drives the real pinentry-curses, which draws a
// dialog on the terminal (OPTION ttyname, ttytype): Enter confirms what
// was typed; Tab to the Cancel button and Enter cancels. Debian's default
// pinentry, pinentry-gnome3, falls back to the same dialog when there is
// no display, as for a user on a text console or over ssh.
func TestCursesPasscode(t *testing.T) {
	for _, name := range []string{"pinentry-curses", "pinentry-gnome3"} {
		t.Run(name, func(t *testing.T) {
			prog, err := exec.LookPath(name)
			if err != nil {
				servicetest.Missing(t, name, "not on $PATH", "apt-get install "+name)
			}
			testCurses(t, prog)
		})
	}
}

func testCurses(t *testing.T, prog string) {
	for _, tc := range []struct {
		keys string
		want error
	}{
		{"curses pw\r", nil},
		{"typed then\t\t\r", ErrCanceled}, // Tab, Tab to Cancel, Enter
	} {
		term := openPTY(t)
		p := &Pinentry{Program: prog, TTY: term.name, TermType: "xterm", Env: []string{"PATH=/usr/bin:/bin"}}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res := ask(ctx, p, Prompt{Description: "Unlock example.app", Prompt: "Passcode:"})
		term.waitFor(t, "Passcode:")
		term.type_(t, tc.keys)
		r := <-res
		cancel()
		if !errors.Is(r.err, tc.want) {
			t.Fatalf("keys %q: %v, want %v", tc.keys, r.err, tc.want)
		}
		if tc.want == nil {
			if got := string(r.pass.Bytes()); got != "curses pw" {
				t.Errorf("passcode %q, want %q", got, "curses pw")
			}
			r.pass.Free()
		}
	}
}
