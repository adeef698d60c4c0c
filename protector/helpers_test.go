//go:build unix

package protector

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// deviceKeyStandIn stands for a device key in protector tests.
var deviceKeyStandIn = bytes.Repeat([]byte{0x5a}, 32)

// ctxFor returns a context with a deadline that tests assert is honoured.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
