package securestore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/securestore-go/securestore/agent"
)

// Values of Config.Agent.
const (
	// AgentAuto uses the agent if its socket answers when the store is
	// opened ($SECURESTORE_AGENT_SOCK, else the default path), and works
	// alone otherwise. It is the default.
	AgentAuto = "auto"
	// AgentOff never uses an agent.
	AgentOff = "off"
)

// EnvAgentSock names the agent's socket, for Config.Agent "auto".
const EnvAgentSock = agent.EnvSock

// resolveAgent checks Config.Agent: "auto", "off" or an absolute socket path.
func resolveAgent(a string) (string, error) {
	switch {
	case a == "":
		return AgentAuto, nil
	case a == AgentAuto || a == AgentOff:
		return a, nil
	case filepath.IsAbs(a):
		return filepath.Clean(a), nil
	}
	return "", fmt.Errorf("%w: Config.Agent %q is not \"auto\", \"off\" or an absolute socket path", ErrInvalidOption, a)
}

// dialAgent returns a client of the agent the config names, or nil when
// none is to be used. "auto" with no socket file costs one stat; a socket
// no agent answers is no agent. A socket path named explicitly must answer.
func (r *resolved) dialAgent(ctx context.Context) (*agent.Client, error) {
	path := r.agent
	switch path {
	case AgentOff:
		return nil, nil
	case AgentAuto:
		p, err := agent.SocketPath()
		if err != nil {
			return nil, nil
		}
		c, err := agent.Dial(ctx, p)
		if err != nil {
			return nil, nil
		}
		return c, nil
	}
	c, err := agent.Dial(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return c, nil
}

// agentErr maps an agent's errors onto the public sentinels. Keys that
// lived in an agent that went away are gone: the store is locked.
func agentErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, agent.ErrWrongPasscode):
		return &agentWrongPasscode{err}
	case errors.Is(err, agent.ErrLocked), errors.Is(err, agent.ErrUnavailable):
		return fmt.Errorf("%w (%w)", ErrLocked, err)
	case errors.Is(err, agent.ErrNotAuthentic):
		return fmt.Errorf("%w: the value does not authenticate", ErrCorrupt)
	}
	return err
}

// agentWrongPasscode is the agent's "wrong passcode": ErrWrongPasscode in
// the agent's words, which say the delay the store imposes.
type agentWrongPasscode struct{ err error }

func (e *agentWrongPasscode) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), agent.ErrWrongPasscode.Error()+": ")
	if !strings.HasPrefix(msg, ErrWrongPasscode.Error()) {
		msg = ErrWrongPasscode.Error() + ": " + msg
	}
	return msg
}

func (e *agentWrongPasscode) Is(target error) bool { return target == ErrWrongPasscode }
func (e *agentWrongPasscode) Unwrap() error        { return e.err }
