//go:build !unix

package agent

import (
	"errors"
	"net"
)

// Listener is the agent's socket; on this system the agent does not run.
type Listener struct{ net.Listener }

// Listen fails here: the agent needs Unix sockets with peer credentials.
func Listen(string) (*Listener, error) {
	return nil, errors.New("agent: the agent does not run on this system")
}

// ListenActivated reports no socket activation here.
func ListenActivated() (net.Listener, bool, error) { return nil, false, nil }
