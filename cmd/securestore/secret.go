package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// This file reads passcodes and passphrases. A script gives them on the
// file descriptor that --passcode-fd or --passphrase-fd names, one per
// line; a person types them at the terminal, without echo. They never come
// from the command line or the environment, where other users and child
// processes can read them, nor from standard input, which may carry a
// value or an export. Every buffer that held one is wiped; the caller
// wipes (or hands the library, which wipes) what it gets.

// maxSecretBytes bounds a passcode or passphrase, so that a file
// descriptor that never ends a line cannot exhaust memory.
const maxSecretBytes = 1024

// A secretPrompt describes one secret that a command needs.
type secretPrompt struct {
	fd     fdFlag // the file descriptor to read it from, when set
	flag   string // the flag that sets fd, e.g. "passcode-fd"
	what   string // what it is, for messages: "passcode", "new passcode"
	prompt string // what the terminal shows before the user types it
	// repeat, for a new secret, is the prompt to type it again at the
	// terminal, where a typo would go unseen. A script gives it once.
	repeat string
	// ifEmpty, when set, refuses an empty secret with this advice.
	ifEmpty string
	// more says the command reads another secret from the same file
	// descriptor after this one (passcode change: the current, then the
	// new). Without it, the line read must be the descriptor's last: an
	// extra line means the script and the command disagree on what is
	// asked, and guessing would use the wrong secret.
	more bool
}

// errNoTerminal: the command needs a secret, no file descriptor was
// given, and there is no terminal to ask on.
var errNoTerminal = errors.New("no terminal")

// secretReader reads the secrets of one invocation. It opens the terminal
// on first use and keeps it, and keeps one *os.File per file descriptor,
// so that secrets that share a descriptor are read one line after the
// other.
type secretReader struct {
	passcodeFD   fdFlag // --passcode-fd, for the commands that define it
	passphraseFD fdFlag // --passphrase-fd: export, import

	tty *tty
	fds map[int]*os.File
}

// read returns the secret that p describes. The caller wipes it.
func (r *secretReader) read(p secretPrompt) ([]byte, error) {
	var secret []byte
	var err error
	if p.fd.set {
		secret, err = r.readFD(p)
	} else {
		secret, err = r.ask(p)
	}
	if err != nil {
		return nil, err
	}
	if p.ifEmpty != "" && len(secret) == 0 {
		return nil, &inputError{msg: fmt.Sprintf("the %s is empty; %s", p.what, p.ifEmpty)}
	}
	return secret, nil
}

// ask reads the secret at the terminal, twice when p.repeat says so.
func (r *secretReader) ask(p secretPrompt) ([]byte, error) {
	if r.tty == nil {
		t, err := openTTY()
		if err != nil {
			return nil, &inputError{
				msg: fmt.Sprintf("no terminal to ask for the %s on: run the command at a terminal, or give the %s on a file descriptor with --%s N",
					p.what, p.what, p.flag),
				err: errNoTerminal,
			}
		}
		r.tty = t
	}
	secret, err := r.tty.readSecret(p.prompt, p.what)
	if err != nil || p.repeat == "" || len(secret) == 0 {
		return secret, err // an empty one is refused without asking again
	}
	again, err := r.tty.readSecret(p.repeat, p.what)
	defer clear(again)
	if err == nil && !bytes.Equal(secret, again) {
		err = &inputError{msg: fmt.Sprintf("the %ss typed do not match", p.what)}
	}
	if err != nil {
		clear(secret)
		return nil, err
	}
	return secret, nil
}

// secretFD is a flag that names a file descriptor to read secrets from.
type secretFD struct {
	flag string // "passcode-fd"
	fd   fdFlag
}

// secretFDs are the flags that name file descriptors for secrets, for
// the checks that must cover every one of them.
func (inv *invocation) secretFDs() []secretFD {
	return []secretFD{{"passcode-fd", inv.secrets.passcodeFD}, {"passphrase-fd", inv.secrets.passphraseFD}}
}

// claimFDs takes hold of the file descriptors that --passcode-fd and
// --passphrase-fd name and checks that they are open. It must run before
// the command opens anything: a descriptor the caller did not pass is a
// free number, which the store's own files would take, and the passcode
// would then be read from the database.
func (inv *invocation) claimFDs() error {
	for _, f := range inv.secretFDs() {
		if f.fd.set {
			if _, err := inv.secrets.file(f.flag, f.fd.fd); err != nil {
				return err
			}
		}
	}
	return nil
}

// file returns the *os.File of descriptor fd, the same one each time.
func (r *secretReader) file(flag string, fd int) (*os.File, error) {
	if f := r.fds[fd]; f != nil {
		return f, nil
	}
	name := fmt.Sprintf("--%s %d", flag, fd)
	f := os.NewFile(uintptr(fd), name)
	if f == nil {
		return nil, &inputError{msg: fmt.Sprintf("%s: not a file descriptor", name)}
	}
	if _, err := f.Stat(); err != nil {
		return nil, &inputError{msg: fmt.Sprintf("%s: file descriptor %d is not open", name, fd)}
	}
	if r.fds == nil {
		r.fds = map[int]*os.File{}
	}
	r.fds[fd] = f
	return f, nil
}

// readFD reads the secret as the next line of the file descriptor p.fd.
func (r *secretReader) readFD(p secretPrompt) ([]byte, error) {
	fd := p.fd.fd
	name := fmt.Sprintf("--%s %d", p.flag, fd)
	if term.IsTerminal(fd) {
		return nil, &inputError{msg: fmt.Sprintf("%s is a terminal, which would echo the %s; leave out --%s to be asked without echo",
			name, p.what, p.flag)}
	}
	f, err := r.file(p.flag, fd)
	if err != nil {
		return nil, err
	}
	secret, err := readLine(f, maxSecretBytes)
	switch {
	case err == nil && !p.more && !atEOF(f):
		clear(secret)
		return nil, &inputError{msg: fmt.Sprintf("%s: more follows the %s; the command reads one line there, and the input must end after it",
			name, p.what)}
	case err == nil:
		return secret, nil
	case errors.Is(err, io.EOF):
		return nil, &inputError{msg: fmt.Sprintf("%s: the input ended before the %s", name, p.what)}
	case errors.Is(err, errLineTooLong):
		return nil, &inputError{msg: fmt.Sprintf("%s: the %s is longer than %d bytes", name, p.what, maxSecretBytes)}
	default:
		return nil, fmt.Errorf("%s: read the %s: %w", name, p.what, err)
	}
}

// checkStdinFree refuses file descriptor 0 for secrets when standard input
// carries something else: set's value, import's export.
func (inv *invocation) checkStdinFree(command, carries string) error {
	for _, f := range inv.secretFDs() {
		if f.fd.set && f.fd.fd == 0 {
			return &usageError{command: command, msg: fmt.Sprintf(
				"--%s 0 is standard input, which carries %s; use another file descriptor", f.flag, carries)}
		}
	}
	return nil
}

// close closes the terminal. The file descriptors stay open: they belong
// to whoever started the program.
func (r *secretReader) close() {
	if r.tty != nil {
		r.tty.close()
		r.tty = nil
	}
}

var errLineTooLong = errors.New("line too long")

// atEOF reports whether f has nothing more to read. It reads (and drops)
// at most one byte: whatever follows is refused anyway.
func atEOF(f io.Reader) bool {
	var b [1]byte
	for {
		n, err := f.Read(b[:])
		b[0] = 0
		if n > 0 {
			return false
		}
		if err != nil {
			return true // io.EOF, or an error that ends the input as well
		}
	}
}

// readLine reads one line from f, one byte at a time so that nothing after
// it is consumed: the next secret on the same descriptor stays there. It
// removes the "\n" or "\r\n"; a last line without one counts. It returns
// io.EOF when f ends before any byte, and errLineTooLong when the line is
// longer than limit.
func readLine(f io.Reader, limit int) ([]byte, error) {
	// Room for limit bytes, a "\r" and one byte too many: the buffer never
	// grows, so no copy of the secret is left behind unwiped.
	buf := make([]byte, 0, limit+2)
	var b [1]byte
	defer clear(b[:])
	for {
		n, err := f.Read(b[:])
		if n == 1 && b[0] != '\n' {
			if len(buf) == cap(buf) {
				clear(buf)
				return nil, errLineTooLong
			}
			buf = append(buf, b[0])
			continue
		}
		if n == 0 && err == nil {
			continue
		}
		if n == 0 && (err != io.EOF || len(buf) == 0) {
			clear(buf)
			return nil, err
		}
		// A "\n", or the end of a last line without one.
		if len(buf) > 0 && buf[len(buf)-1] == '\r' {
			buf[len(buf)-1] = 0
			buf = buf[:len(buf)-1]
		}
		if len(buf) > limit {
			clear(buf)
			return nil, errLineTooLong
		}
		return buf, nil
	}
}
