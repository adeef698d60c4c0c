package agent

import (
	"os"
	"path/filepath"
)

// EnvSock overrides the socket path, for the agent and every client.
const EnvSock = "SECURESTORE_AGENT_SOCK"

// SocketPath is where the agent listens and clients look:
// $SECURESTORE_AGENT_SOCK, else $XDG_RUNTIME_DIR/securestore/agent.sock
// (the per-user runtime directory that logind creates 0700 and removes at
// logout), else ErrNoSocketPath: /tmp is no place for it.
func SocketPath() (string, error) {
	if p := os.Getenv(EnvSock); p != "" {
		return filepath.Abs(p)
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
		return filepath.Join(rt, "securestore", "agent.sock"), nil
	}
	return "", ErrNoSocketPath
}
