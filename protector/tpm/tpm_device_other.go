//go:build !linux

package tpm

import (
	"context"
	"errors"
)

var errTPMNoDevice = errors.New("no TPM device support on this platform")

// openTPMDevice has no device support outside Linux yet (Windows has TBS,
// the BSDs /dev/tpm0 without a resource manager); a simulator over TCP
// ($SECURESTORE_TPM=tcp:HOST:PORT) works everywhere.
func openTPMDevice(context.Context, string) (tpmConn, error) { return nil, errTPMNoDevice }
