//go:build !linux

package main

// ttyType drives a Linux pseudo-terminal (ttytype_linux_test.go); scripts
// that use it skip elsewhere.
func ttyType() { fail(2, "ttytype: only on Linux") }
