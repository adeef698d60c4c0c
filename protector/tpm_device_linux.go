//go:build linux

package protector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// deviceTPM is a TPM character device such as /dev/tpmrm0: the kernel
// takes one command per write and gives its response in one read.
//
// A TPM device need not support the poller, so reads cannot be given a
// deadline. Each Send therefore runs in a goroutine, and the caller stops
// waiting when the context ends; the abandoned goroutine ends when the TPM
// answers (a TPM does not keep a command forever), and the connection is
// unusable from then on.
type deviceTPM struct {
	f      *os.File
	ctx    context.Context
	broken bool
}

// deviceResponseSize is the kernel's TPM_BUFSIZE: a read of that size
// always takes the whole response.
const deviceResponseSize = 4096

func openTPMDevice(ctx context.Context, path string) (tpmConn, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("no such device (no TPM 2.0, or its driver is not loaded)")
	}
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return nil, errors.New("not a character device")
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("%w (the device's group, often tss, must include you)", err)
	}
	if err != nil {
		return nil, err
	}
	return &deviceTPM{f: f, ctx: ctx}, nil
}

// Send implements tpmConn.
func (d *deviceTPM) Send(cmd []byte) ([]byte, error) {
	if d.broken {
		return nil, errors.New("an earlier command did not finish before the deadline")
	}
	if err := d.ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		rsp []byte
		err error
	}
	done := make(chan result, 1)
	buf := bytes.Clone(cmd) // the caller may reuse cmd once we return
	go func() {
		defer clear(buf)
		if _, err := d.f.Write(buf); err != nil {
			done <- result{nil, err}
			return
		}
		rsp := make([]byte, deviceResponseSize)
		n, err := d.f.Read(rsp)
		done <- result{rsp[:n], err}
	}()
	select {
	case r := <-done:
		return r.rsp, r.err
	case <-d.ctx.Done():
		d.broken = true
		return nil, d.ctx.Err()
	}
}

// Close implements tpmConn. It does not wait for an abandoned Send: the
// descriptor is released when that Send's read returns.
func (d *deviceTPM) Close() error { return d.f.Close() }
