package logind

import "errors"

var (
	// ErrNoBus means the system bus cannot be reached: no socket, or a
	// bus that does not answer within the call timeout.
	ErrNoBus = errors.New("logind: cannot connect to the system bus")

	// ErrNoLogind means nothing owns org.freedesktop.login1 on the bus:
	// systemd-logind (or elogind) is not running.
	ErrNoLogind = errors.New("logind: org.freedesktop.login1 is not on the bus")

	// ErrNoSession means logind knows no session for this process, or
	// none with the given id.
	ErrNoSession = errors.New("logind: no session to watch")
)
