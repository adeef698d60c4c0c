//go:build !unix && !windows

package main

// detachFromTerminal does nothing where there are no terminals to detach
// from.
func detachFromTerminal() {}
