package tpm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/securestore-go/securestore/protector"
)

// EnvTPM selects the TPM that the tpm protector uses:
//
//	unset or ""        /dev/tpmrm0, the kernel's TPM resource manager
//	/dev/NAME          another TPM character device
//	tcp:HOST:PORT      a TPM simulator's command port (swtpm, or the TCG
//	                   reference simulator once powered on), e.g. the
//	                   tcp:127.0.0.1:2321 that .ci/with-swtpm starts
//	off                none: the tpm protector reports itself unavailable
const EnvTPM = "SECURESTORE_TPM"

// DefaultTPMDevice is the TPM the tpm protector uses when $SECURESTORE_TPM
// is unset. The resource manager (tpmrm0, not tpm0) lets many processes
// share the TPM and flushes what a dying process left loaded.
const DefaultTPMDevice = "/dev/tpmrm0"

// tpmConn is one open connection to a TPM: go-tpm's transport.TPM (Send
// one command, get its response) and Close. Every Send obeys the context
// the connection was opened with.
type tpmConn interface {
	Send(command []byte) ([]byte, error)
	Close() error
}

// maxTPMResponse bounds a response: TPMs answer in at most 4 KiB
// (the kernel's TPM_BUFSIZE); a simulator that claims more is refused
// rather than trusted with an allocation.
const maxTPMResponse = 64 << 10

// openTPM connects to the TPM that $SECURESTORE_TPM names. where describes
// it for messages; a failure wraps protector.ErrUnavailable.
func openTPM(ctx context.Context) (conn tpmConn, where string, err error) {
	sel := os.Getenv(EnvTPM)
	switch {
	case sel == "":
		where = DefaultTPMDevice
		conn, err = openTPMDevice(ctx, DefaultTPMDevice)
	case sel == "off":
		return nil, "", fmt.Errorf("tpm protector: $%s=off: %w", EnvTPM, protector.ErrUnavailable)
	case strings.HasPrefix(sel, "tcp:"):
		where = strings.TrimPrefix(sel, "tcp:")
		conn, err = dialTCPTPM(ctx, where)
	case strings.HasPrefix(sel, "/"):
		where = sel
		conn, err = openTPMDevice(ctx, sel)
	default:
		return nil, "", fmt.Errorf("tpm protector: $%s=%q is not a device path, tcp:HOST:PORT or off: %w",
			EnvTPM, sel, protector.ErrUnavailable)
	}
	if err != nil {
		return nil, where, tpmTransportErr(ctx, where, "open", err)
	}
	return retryingConn{conn}, where, nil
}

// tpmTransportErr reports a failure to reach the TPM (not a refusal by
// the TPM): always protector.ErrUnavailable, naming the deadline when it was that.
func tpmTransportErr(ctx context.Context, where, what string, err error) error {
	// The connection's own deadline (set from ctx's) can fire a moment
	// before ctx reports it.
	if ctxErr := ctx.Err(); ctxErr != nil || errors.Is(err, os.ErrDeadlineExceeded) {
		if ctxErr == nil {
			ctxErr = context.DeadlineExceeded
		}
		return fmt.Errorf("tpm protector: %s %s: no answer before the deadline (%v): %w", what, where, ctxErr, protector.ErrUnavailable)
	}
	return fmt.Errorf("tpm protector: %s %s: %v: %w", what, where, err, protector.ErrUnavailable)
}

// tcpTPM speaks the TPM simulators' TCP command protocol (the TCG
// reference simulator's, which swtpm also accepts): each command is sent
// as u32 TPM_SEND_COMMAND (8) | u8 locality | u32 length | command, and
// answered as u32 length | response | u32 status (0). swtpm started with
// --flags not-need-init,startup-clear needs no power-on or startup.
type tcpTPM struct {
	conn net.Conn
	stop func() bool
}

const tcpSendCommand = 8

func dialTCPTPM(ctx context.Context, addr string) (*tcpTPM, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	// A cancelled (not only expired) context also ends I/O in progress.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return &tcpTPM{conn: c, stop: stop}, nil
}

// Send implements tpmConn.
func (t *tcpTPM) Send(cmd []byte) ([]byte, error) {
	msg := make([]byte, 9, 9+len(cmd))
	binary.BigEndian.PutUint32(msg, tcpSendCommand)
	binary.BigEndian.PutUint32(msg[5:], uint32(len(cmd)))
	msg = append(msg, cmd...)
	_, err := t.conn.Write(msg)
	clear(msg) // a command may carry (encrypted) key material
	if err != nil {
		return nil, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(t.conn, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxTPMResponse {
		return nil, fmt.Errorf("the simulator answered with a %d-byte response", n)
	}
	rsp := make([]byte, n)
	if _, err := io.ReadFull(t.conn, rsp); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(t.conn, hdr[:]); err != nil {
		return nil, err
	}
	if status := binary.BigEndian.Uint32(hdr[:]); status != 0 {
		return nil, fmt.Errorf("the simulator reported status %d", status)
	}
	return rsp, nil
}

// Close implements tpmConn.
func (t *tcpTPM) Close() error {
	t.stop()
	return t.conn.Close()
}

// retryingConn resends a command that the TPM answered with TPM_RC_RETRY
// or TPM_RC_YIELDED: it did not start the command and asks for it again,
// unchanged (TPM 2.0 Part 2, 6.6.3). A TPM says RETRY, for one, on the
// first use of an object that counts towards dictionary-attack lockout
// after each startup, having first recorded in its NV memory that such an
// object is in use. The TPM software stacks resend these commands too.
type retryingConn struct{ tpmConn }

// maxTPMRetries bounds the resends of one command; each obeys the
// connection's deadline.
const maxTPMRetries = 8

const (
	rcRetry   = 0x922 // TPM_RC_RETRY
	rcYielded = 0x908 // TPM_RC_YIELDED
)

// Send implements tpmConn.
func (c retryingConn) Send(cmd []byte) ([]byte, error) {
	for try := 0; ; try++ {
		rsp, err := c.tpmConn.Send(cmd)
		if err != nil || len(rsp) < 10 || try == maxTPMRetries {
			return rsp, err
		}
		if rc := binary.BigEndian.Uint32(rsp[6:10]); rc != rcRetry && rc != rcYielded {
			return rsp, nil
		}
	}
}
