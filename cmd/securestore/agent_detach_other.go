//go:build !unix

package main

import "os/exec"

func detachAgent(*exec.Cmd) {}
