//go:build darwin || freebsd

package agent

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerCred asks the kernel who is at the other end (LOCAL_PEERCRED, what
// getpeereid reads): the uid as of connect. The pid is not reported.
func peerCred(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, ErrPeerUnknown
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *unix.Xucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return Peer{}, err
	}
	if cerr != nil {
		return Peer{}, fmt.Errorf("%w: %w", ErrPeerUnknown, cerr)
	}
	return Peer{UID: cred.Uid, PID: 0}, nil
}

func peerExe(int32) string { return "" }
