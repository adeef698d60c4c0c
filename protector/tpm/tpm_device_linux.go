//go:build linux

package tpm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/securestore-go/securestore/protector"
)

// deviceTPM is a TPM character device such as /dev/tpmrm0: the kernel
// takes one command per write and gives its response in one read.
//
// A TPM device need not support the poller, so reads cannot be given a
// deadline. Each Send therefore runs through protector.CallOS, which stops waiting
// when the context ends; the abandoned write and read end when the TPM
// answers (a TPM does not keep a command forever). The connection is
// unusable from then on, which needs no flag of its own: every later Send
// sees the same ended context and refuses at once.
type deviceTPM struct {
	f   *os.File
	ctx context.Context
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
	buf := bytes.Clone(cmd) // the call owns its copy (see protector.CallOS)
	return protector.CallOS(d.ctx, "the TPM device", func() ([]byte, error) {
		defer clear(buf) // a command may carry (encrypted) key material
		if _, err := d.f.Write(buf); err != nil {
			return nil, err
		}
		rsp := make([]byte, deviceResponseSize)
		n, err := d.f.Read(rsp)
		return rsp[:n], err
	}, func(rsp []byte) { clear(rsp) })
}

// Close implements tpmConn. It does not wait for an abandoned Send: the
// descriptor is released when that Send's read returns.
func (d *deviceTPM) Close() error { return d.f.Close() }
