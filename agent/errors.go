package agent

import (
	"errors"
	"fmt"
)

// Errors a Client returns (test with errors.Is). None of them holds a
// value, a key or a passcode.
var (
	// ErrUnavailable: the agent cannot be reached, or it went away in the
	// middle of a request (killed, restarted). Nothing the request would
	// have written was written; a new agent starts locked.
	ErrUnavailable = errors.New("agent: not reachable")
	// ErrNoAgent: no agent's socket exists at the path. It wraps
	// ErrUnavailable.
	ErrNoAgent = fmt.Errorf("%w: no agent is running", ErrUnavailable)
	// ErrLocked: the agent holds no key of the item's class for the store
	// (never unlocked, locked since, or its keys went stale).
	ErrLocked = errors.New("agent: store is locked")
	// ErrWrongPasscode: Unlock's passcode is wrong. The message says the
	// wrong-passcode delay, if any.
	ErrWrongPasscode = errors.New("agent: wrong passcode")
	// ErrNotAuthentic: Open's sealed value does not open with the agent's
	// key: it is damaged, or sealed under keys the agent does not hold.
	ErrNotAuthentic = errors.New("agent: the value does not authenticate")
	// ErrRefused: the agent refused the request (a bad name, an operation
	// it cannot do).
	ErrRefused = errors.New("agent: request refused")
	// ErrAgentRunning: Listen found another agent serving the socket.
	ErrAgentRunning = errors.New("agent: another agent is already running on this socket")
	// ErrNoSocketPath: neither $SECURESTORE_AGENT_SOCK nor
	// $XDG_RUNTIME_DIR is set, so there is no safe place for the socket.
	ErrNoSocketPath = errors.New("agent: no socket path: set $" + EnvSock + " or $XDG_RUNTIME_DIR")
	// ErrPeerUnknown: the kernel cannot say who the peer is on this
	// system, so the agent refuses it.
	ErrPeerUnknown = errors.New("agent: cannot check the peer's credentials on this system")
)

// PermissionError reports a socket, its directory or the lock file that
// another user owns or that others may use. The agent refuses to run on
// it, as ssh refuses a private key that others can read.
type PermissionError struct {
	Path    string
	Problem string // "is owned by uid 1001", "has mode 0755"
	Fix     string
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("agent: %s %s; %s", e.Path, e.Problem, e.Fix)
}

// codeErr maps a reply's code onto the errors above.
func codeErr(r *Reply) error {
	var base error
	switch r.Code {
	case CodeOK:
		return nil
	case CodeLocked:
		base = ErrLocked
	case CodeWrongPasscode:
		base = ErrWrongPasscode
	case CodeNotAuthentic:
		base = ErrNotAuthentic
	case CodeInvalid:
		base = ErrRefused
	default:
		return fmt.Errorf("agent: %s", r.Message)
	}
	if r.Message == "" {
		return base
	}
	return fmt.Errorf("%w: %s", base, r.Message)
}
