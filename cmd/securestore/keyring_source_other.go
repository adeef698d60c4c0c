//go:build !(linux || freebsd || openbsd || netbsd)

package main

import (
	"context"
	"errors"
	"runtime"
)

// openKeyringSource fails: the Secret Service exists on Linux and the BSDs
// only.
func openKeyringSource(context.Context) (keyringSource, error) {
	return nil, errors.New("there is no Secret Service on " + runtime.GOOS + " (it is a Linux and BSD desktop service)")
}
