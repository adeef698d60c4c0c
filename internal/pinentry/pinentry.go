package pinentry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/securestore-go/securestore/internal/secmem"
)

// Pinentry is how to reach the user: which program, on which terminal,
// with which environment. The zero value runs $SECURESTORE_PINENTRY or
// "pinentry" with this process's display variables and no terminal.
type Pinentry struct {
	// Program is the pinentry to run, a path or a name on $PATH.
	Program string
	// TTY is the terminal device for text pinentries (OPTION ttyname),
	// e.g. the client's $GPG_TTY; empty for none.
	TTY string
	// TermType is the terminal's type for pinentry-curses (OPTION
	// ttytype), e.g. the client's $TERM.
	TermType string
	// LCCtype is the character set of the terminal (OPTION lc-ctype),
	// e.g. "C.UTF-8".
	LCCtype string
	// Env is the program's whole environment, in os.Environ form; nil
	// means SessionEnv(os.Environ()). It never holds a secret.
	Env []string
	// Timeout is the longest a prompt stays up when ctx has no earlier
	// deadline; 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is how long a prompt waits for the user by default, as
// long as a user may take to come back to the screen, and no longer: a
// prompt nobody answers must not hold a request forever.
const DefaultTimeout = 5 * time.Minute

// Prompt is the text of one passcode prompt. Every field is optional.
// Its fields are those of the agent's PromptText, in the same order, so
// that one converts to the other: pinentry.Prompt(text).
type Prompt struct {
	Title       string // the window title (SETTITLE)
	Description string // what is asked and why, e.g. the item's AuthenticationPrompt (SETDESC)
	Prompt      string // the text before the entry field, e.g. "Passcode:" (SETPROMPT)
	Error       string // shown above the description, e.g. after a wrong passcode (SETERROR)
}

// killGrace is how long an interrupted program has to restore the
// terminal and exit before it is killed.
const killGrace = time.Second

// AskPasscode runs the pinentry program, shows prompt and returns what
// the user entered, in a buffer the caller must Free. The errors are
// ErrCanceled, ErrTimeout (also context.DeadlineExceeded when ctx's
// deadline passed), context.Canceled, ErrNoPinentry, ErrEmpty,
// *ProtocolError and *Error.
func (p *Pinentry) AskPasscode(ctx context.Context, prompt Prompt) (*secmem.Buffer, error) {
	if err := ctx.Err(); err != nil {
		return nil, contextError(err)
	}
	path, err := p.program()
	if err != nil {
		return nil, err
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// Always a deadline: pinentry is then told the time left (SETTIMEOUT),
	// which pinentry-tty 1.2 also needs to catch Ctrl-C and restore the
	// terminal when interrupted.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := startSession(ctx, path, p.environ())
	if err != nil {
		return nil, err
	}
	pass, err := s.getPIN(ctx, p, prompt)
	s.close()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// The program was killed for the deadline: that, not the
			// broken pipe it left, is what happened.
			return nil, contextError(cerr)
		}
		return nil, err
	}
	return pass, nil
}

// contextError says why a context ended in the package's terms.
func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return fmt.Errorf("pinentry: %w", err)
}

// session is one running pinentry and the two pipes to it.
type session struct {
	cmd   *exec.Cmd
	in    *os.File // the program's stdin
	out   *os.File // the program's stdout
	lines *lineReader
	stop  func() bool // stops the context watcher

	mu       sync.Mutex
	exited   bool          // reaped: its pid may belong to someone else now
	exitedCh chan struct{} // closed once exited is set
}

func startSession(ctx context.Context, path string, env []string) (*session, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pinentry: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("pinentry: %w", err)
	}
	cmd := exec.Command(path)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, nil
	ownGroup(cmd)
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, errors.Join(ErrNoPinentry, err)
	}
	s := &session{cmd: cmd, in: inW, out: outR, lines: newLineReader(outR), exitedCh: make(chan struct{})}
	s.stop = context.AfterFunc(ctx, s.interrupt)
	return s, nil
}

// interrupts is how many times interrupt sends SIGINT within killGrace.
const interrupts = 10

// interrupt stops the program when the caller gives up: SIGINT, again
// and again (one that lands between the prompt and the read that waits
// for the user is caught and forgotten, as pinentry-tty's handler does
// nothing itself), then, after killGrace, the kill.
func (s *session) interrupt() {
	for range interrupts {
		s.signal(interruptGroup)
		select {
		case <-s.exitedCh:
			return
		case <-time.After(killGrace / interrupts):
		}
	}
	s.kill()
}

// signal sends a signal to the program's group unless it is reaped.
func (s *session) signal(send func(pid int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.exited {
		send(s.cmd.Process.Pid)
	}
}

// kill ends the program and unblocks any read or write on its pipes.
func (s *session) kill() {
	s.signal(killGroup)
	past := time.Unix(1, 0)
	_ = s.out.SetReadDeadline(past)
	_ = s.in.SetWriteDeadline(past)
}

// close ends the conversation: stdin closed (pinentry exits on EOF),
// then, if the program does not exit within the grace period, killed.
func (s *session) close() {
	s.stop()
	s.in.Close()
	done := make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		s.mu.Lock()
		s.exited = true
		close(s.exitedCh)
		s.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(killGrace):
		s.kill()
		<-done
	}
	s.out.Close()
	s.lines.free()
}

// getPIN holds the Assuan conversation.
func (s *session) getPIN(ctx context.Context, p *Pinentry, prompt Prompt) (*secmem.Buffer, error) {
	if err := s.expectOK("greeting", nil); err != nil {
		return nil, err
	}
	for _, opt := range []struct{ name, value string }{
		{"ttyname", p.TTY}, {"ttytype", p.TermType}, {"lc-ctype", p.LCCtype},
	} {
		if opt.value == "" {
			continue
		}
		err := s.command("OPTION", opt.name+"="+escapeParam(opt.value, maxParam))
		var perr *Error
		if errors.As(err, &perr) && perr.Code&gpgErrCodeMask == gpgErrUnknownOption {
			continue // an older or other pinentry: it does without
		}
		if err != nil {
			return nil, err
		}
	}
	if deadline, ok := ctx.Deadline(); ok {
		// One second early, so that the program gives up by itself and
		// restores the terminal before the hard kill.
		secs := max(int(time.Until(deadline)/time.Second)-1, 1)
		if err := s.command("SETTIMEOUT", strconv.Itoa(secs)); err != nil {
			return nil, err
		}
	}
	for _, set := range []struct{ cmd, text string }{
		{"SETTITLE", prompt.Title}, {"SETDESC", prompt.Description},
		{"SETPROMPT", prompt.Prompt}, {"SETERROR", prompt.Error},
	} {
		if set.text == "" {
			continue
		}
		if err := s.command(set.cmd, escapeParam(set.text, maxParam)); err != nil {
			return nil, err
		}
	}
	if err := s.send("GETPIN"); err != nil {
		return nil, err
	}
	pin := secmem.New(maxPasscode)
	defer pin.Free()
	n := 0
	if err := s.expectOK("GETPIN", func(data []byte) error {
		m, err := decodeData(pin.Bytes()[n:], data)
		n += m
		return err
	}); err != nil {
		return nil, err
	}
	_ = s.send("BYE") // courtesy: closing stdin ends it as well
	if n == 0 {
		return nil, ErrEmpty
	}
	return secmem.Copy(pin.Bytes()[:n]), nil
}

// maxParam keeps a command line within the line limit whatever the
// command's name.
const maxParam = maxLine - 2 - len("OPTION lc-ctype=")

// command sends a command and waits for its OK.
func (s *session) command(name, param string) error {
	line := name
	if param != "" {
		line += " " + param
	}
	if err := s.send(line); err != nil {
		return err
	}
	return s.expectOK(name, nil)
}

func (s *session) send(line string) error {
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		return &ProtocolError{Step: commandName(line), Reason: "cannot send the command", Err: err}
	}
	return nil
}

func commandName(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == ' ' {
			return line[:i]
		}
	}
	return line
}

// expectOK reads answers until OK or ERR. D lines go to data; a step
// that expects none gets a protocol error for one.
func (s *session) expectOK(step string, data func([]byte) error) error {
	for {
		line, err := s.lines.next()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return &ProtocolError{Step: step, Reason: "the program ended before it answered", Err: io.ErrUnexpectedEOF}
			}
			if errors.Is(err, errLineTooLong) {
				return &ProtocolError{Step: step, Reason: errLineTooLong.Error()}
			}
			return &ProtocolError{Step: step, Reason: "cannot read the answer", Err: err}
		}
		r, ok := parseResponse(line)
		if !ok {
			return &ProtocolError{Step: step, Reason: fmt.Sprintf("malformed line (%d bytes)", len(line))}
		}
		switch r.kind {
		case 'O':
			return nil
		case 'E':
			code, desc, ok := parseErr(r.payload)
			if !ok {
				return &ProtocolError{Step: step, Reason: "malformed ERR line"}
			}
			return errFromCode(step, code, desc)
		case 'D':
			if data == nil {
				return &ProtocolError{Step: step, Reason: "data where none was asked for"}
			}
			if err := data(r.payload); err != nil {
				return &ProtocolError{Step: step, Reason: err.Error()}
			}
		}
		// S and comment lines carry nothing the package needs.
	}
}
