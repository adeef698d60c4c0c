//go:build !unix

package main

// closeOnExec does nothing: on Windows, os/exec passes the child only the
// handles it names.
func closeOnExec(int) {}
