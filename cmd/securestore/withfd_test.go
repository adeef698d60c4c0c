package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// withFD is the program "withfd FD=FILE... PROGRAM [ARGS...]" of the
// scripts: it runs PROGRAM with each FILE open for reading as file
// descriptor FD (3 or more), passes on its standard streams, and exits
// with PROGRAM's status. testscript's exec passes only the standard
// streams; as a program run by exec, withfd keeps exec's environment,
// directory, stdin and captured output, and `exits` checks the status:
//
//	exits 5 withfd 3=wrong.txt securestore get k --passcode-fd 3
//
// File descriptors are Unix: on Windows, Cmd.ExtraFiles fails.
func withFD() {
	args := os.Args[1:]
	var extra []*os.File
	for len(args) > 0 {
		fdText, path, ok := strings.Cut(args[0], "=")
		fd, err := strconv.Atoi(fdText)
		if !ok || err != nil {
			break
		}
		if fd < 3 {
			fail(2, "withfd: file descriptor %d: want 3 or more", fd)
		}
		f, err := os.Open(path)
		if err != nil {
			fail(2, "withfd: %v", err)
		}
		for len(extra) <= fd-3 {
			extra = append(extra, nil) // a gap is a closed descriptor
		}
		extra[fd-3] = f
		args = args[1:]
	}
	if len(args) == 0 {
		fail(2, "usage: withfd FD=FILE... PROGRAM [ARGS...]")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = extra
	os.Exit(commandStatus(cmd.Run()))
}

// commandStatus is the exit status of a program that Cmd.Run or Wait ran.
func commandStatus(err error) int {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		return exitErr.ExitCode()
	default:
		fail(127, "%v", err)
		return 127
	}
}

// fail ends a helper program with a message and an exit status.
func fail(status int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(status)
}
