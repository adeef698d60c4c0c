//go:build linux

package tpm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDeviceTPMHung: a TPM device that takes a command and never answers
// costs Send its context's deadline, not a hang, and the connection then
// refuses further commands at once. A pseudo-terminal stands in for the
// device: a character device whose reads block until its master writes.
func TestDeviceTPMHung(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	conn, err := openTPMDevice(ctx, fmt.Sprintf("/dev/pts/%d", n))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := conn.Send([]byte("command")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send to a device that never answers = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Send took %v with a 200ms deadline", d)
	}
	if _, err := conn.Send([]byte("command")); err == nil {
		t.Fatal("Send after a hung one succeeded")
	}
}
