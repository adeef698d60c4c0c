// Package agent is securestore's per-user agent: one process of the user's
// session that holds the unlocked passcode-protected class keys of the
// stores it has unlocked, so that every process of the user sees one lock
// state, as ssh-agent holds ssh keys and gpg-agent holds OpenPGP keys.
//
// The keys never leave the agent. A client sends a sealed record and the
// names it was sealed under and gets the value back (Open), or sends a
// value and gets the sealed record (Seal); a client that is compromised
// after the agent locks learns nothing more.
//
// What to use:
//
//   - A program that reads or writes items uses the securestore package,
//     which finds the agent by itself (Config.Agent). It never needs this
//     package directly.
//   - The securestore CLI runs the agent: Listen (socket path, directory
//     and stale-socket checks, one agent per socket), then NewServer and
//     Serve. The Unlocker that turns a passcode into class keys lives in
//     the securestore package (securestore.AgentUnlocker), which keeps this
//     package free of the store's internals.
//   - Client talks to a running agent: Dial, then Unlock, Lock, Status,
//     Open, Seal, Log.
//
// The files, one concern each: protocol.go (the wire format), path.go (where
// the socket lives), listen_unix.go (the socket, its directory and the lock
// file), peer_*.go (the kernel's word on who connected), server.go (the
// requests), keyring.go (the unlocked keys and the auto-lock timers),
// accesslog.go (who read what), client.go, presence.go (requireAuthentication:
// the presence key, held while a proof of presence is fresh).
package agent
