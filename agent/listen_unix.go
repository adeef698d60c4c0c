//go:build unix

package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Listener is the agent's socket with the lock file that makes it the
// only agent on that path. Close removes the socket and releases the lock.
type Listener struct {
	net.Listener
	lock *os.File
	path string
}

// Close stops listening, removes the socket file and releases the lock.
func (l *Listener) Close() error {
	err := l.Listener.Close() // a *net.UnixListener unlinks its socket
	if l.lock != nil {
		l.lock.Close() // releases the flock
	}
	return err
}

// staleDialTimeout bounds the check of an existing socket file: a live
// agent answers a connect at once.
const staleDialTimeout = 2 * time.Second

// Listen makes the agent's socket at path:
//
//   - the directory is created 0700 if missing, and must be a directory
//     owned by this user that no one else may use (else *PermissionError);
//   - path.lock is locked (flock, without waiting), so that of two agents
//     started at once one listens and the other gets ErrAgentRunning;
//   - an existing socket file must be this user's; if a connect to it
//     succeeds another agent serves it (ErrAgentRunning), else it is a
//     dead agent's, and is removed;
//   - the new socket is made 0600.
func Listen(path string) (*Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent: socket directory: %w", err)
	}
	if err := checkPrivate(dir, true); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("agent: lock file: %w", err)
	}
	if err := checkPrivateFile(lock, path+".lock"); err != nil {
		lock.Close()
		return nil, err
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrAgentRunning, path)
		}
		return nil, fmt.Errorf("agent: lock %s: %w", path+".lock", err)
	}
	if err := removeStale(path); err != nil {
		lock.Close()
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("agent: listen: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		lock.Close()
		return nil, fmt.Errorf("agent: socket mode: %w", err)
	}
	return &Listener{Listener: l, lock: lock, path: path}, nil
}

// removeStale removes a socket file at path that no agent serves. The
// caller holds the lock file, so no agent of this version is starting.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return &PermissionError{Path: path, Problem: "exists and is not a socket", Fix: "remove it or choose another socket path"}
	}
	if err := checkOwner(fi, path); err != nil {
		return err
	}
	if c, err := net.DialTimeout("unix", path, staleDialTimeout); err == nil {
		c.Close()
		return fmt.Errorf("%w (%s)", ErrAgentRunning, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("agent: remove the stale socket: %w", err)
	}
	return nil
}

// ListenActivated returns the socket systemd passed (socket activation:
// $LISTEN_PID is this process and $LISTEN_FDS is 1, the socket being fd
// 3), or ok false when the process was not socket-activated.
func ListenActivated() (l net.Listener, ok bool, err error) {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return nil, false, nil
	}
	if os.Getenv("LISTEN_FDS") != "1" {
		return nil, false, fmt.Errorf("agent: socket activation passed %q sockets, want 1", os.Getenv("LISTEN_FDS"))
	}
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	unix.CloseOnExec(3)
	f := os.NewFile(3, "systemd-socket")
	l, err = net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, false, fmt.Errorf("agent: socket activation: %w", err)
	}
	return l, true, nil
}

// checkPrivate checks that path is a directory (dir) owned by this user
// with no permission for group or others.
func checkPrivate(path string, dir bool) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if dir && !fi.IsDir() {
		return &PermissionError{Path: path, Problem: "is not a directory", Fix: "choose a socket path in a private directory"}
	}
	if err := checkOwner(fi, path); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &PermissionError{Path: path, Problem: fmt.Sprintf("has mode %#o", fi.Mode().Perm()),
			Fix: fmt.Sprintf("run chmod 700 %s", path)}
	}
	return nil
}

func checkPrivateFile(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return &PermissionError{Path: path, Problem: "is not a regular file", Fix: "remove it"}
	}
	if err := checkOwner(fi, path); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &PermissionError{Path: path, Problem: fmt.Sprintf("has mode %#o", fi.Mode().Perm()), Fix: "remove it"}
	}
	return nil
}

func checkOwner(fi fs.FileInfo, path string) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return &PermissionError{Path: path, Problem: "has no owner this system reports", Fix: "choose another socket path"}
	}
	if int(st.Uid) != os.Getuid() {
		return &PermissionError{Path: path, Problem: fmt.Sprintf("is owned by uid %d, not %d", st.Uid, os.Getuid()),
			Fix: "choose a socket path in a directory of your own"}
	}
	return nil
}
