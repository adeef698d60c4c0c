//go:build !unix

// Command procstart times whole processes (see main.go); it needs fork
// and wait4, so it runs on Unix only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "procstart: Unix only")
	os.Exit(1)
}
