package pinentry

import (
	"errors"
	"fmt"
)

var (
	// ErrCanceled means the user dismissed the prompt (Cancel, Escape,
	// Ctrl-D, Ctrl-C).
	ErrCanceled = errors.New("pinentry: canceled by the user")

	// ErrTimeout means no passcode came in time: the program's own
	// timeout, or the caller's context deadline (then the error also
	// matches context.DeadlineExceeded).
	ErrTimeout = errors.New("pinentry: no passcode entered in time")

	// ErrNoPinentry means there is no pinentry program to run.
	ErrNoPinentry = errors.New("pinentry: no pinentry program found")

	// ErrNoTerminal means there is a pinentry program but nowhere for it
	// to show a prompt: no terminal, and no $DISPLAY or $WAYLAND_DISPLAY.
	ErrNoTerminal = errors.New("pinentry: no terminal or display to prompt on")

	// ErrEmpty means the user confirmed an empty passcode.
	ErrEmpty = errors.New("pinentry: empty passcode")
)

// ProtocolError means the program broke the Assuan protocol: a malformed
// or overlong line, an unexpected answer, or an end of output mid-reply.
// It never holds any of the program's output, which may be a passcode.
type ProtocolError struct {
	Step   string // the command being answered, e.g. "GETPIN", or "greeting"
	Reason string
	Err    error // the underlying I/O error, if any
}

func (e *ProtocolError) Error() string {
	msg := "pinentry: protocol error in " + e.Step + ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ProtocolError) Unwrap() error { return e.Err }

// Error is an ERR answer of the program other than cancel or timeout, with
// its gpg-error code (source in the top byte, code in the low 16 bits).
type Error struct {
	Step        string
	Code        uint32
	Description string // the program's text, printable ASCII only, capped
}

func (e *Error) Error() string {
	return fmt.Sprintf("pinentry: %s failed: error %d (%s)", e.Step, e.Code, e.Description)
}

// gpg-error codes (libgpg-error's gpg-error.h) that the package maps to
// sentinel errors. A code is the low 16 bits of an Assuan ERR number; the
// top byte names the source (5 for pinentry: 83886179 is 5<<24 | 99).
const (
	gpgErrTimeout       = 62
	gpgErrCanceled      = 99
	gpgErrUnknownOption = 174
	gpgErrFullyCanceled = 198
	gpgErrCodeMask      = 0xFFFF
	maxErrorDescription = 120
)

// errFromCode maps an ERR line's code to the package's errors.
func errFromCode(step string, code uint32, desc []byte) error {
	switch code & gpgErrCodeMask {
	case gpgErrCanceled, gpgErrFullyCanceled:
		return ErrCanceled
	case gpgErrTimeout:
		return ErrTimeout
	}
	return &Error{Step: step, Code: code, Description: printable(desc, maxErrorDescription)}
}

// printable keeps the printable ASCII of b, at most max bytes of it.
func printable(b []byte, max int) string {
	out := make([]byte, 0, min(len(b), max))
	for _, c := range b {
		if len(out) == max {
			break
		}
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		}
	}
	return string(out)
}
