//go:build !linux && !darwin && !freebsd

package agent

import "net"

// peerCred refuses every peer: this system's credentials are not wired up.
func peerCred(net.Conn) (Peer, error) { return Peer{}, ErrPeerUnknown }

func peerExe(int32) string { return "" }
