//go:build unix

// Command procstart times whole processes: it starts each command in
// turn, ROUNDS times, interleaved so that a change in the machine's load
// falls on every command alike, and prints per command the median and
// 90th percentile of the wall time and the median CPU time (user +
// system, from wait4) of one process.
//
//	procstart [-rounds 200] 'CMD [ARG...]' ['CMD [ARG...]' ...]
//
// Each command is one argument, split at spaces; the first word is a
// path or a name looked up in $PATH. Standard output goes to /dev/null.
// It is what the CLI start-up figures of issue 16 were measured with:
// os/exec would add its own pipes and goroutines to every start, and a
// shell or Python's subprocess adds milliseconds of its own.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	rounds := flag.Int("rounds", 200, "processes per command")
	flag.Parse()
	if flag.NArg() == 0 || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "usage: procstart [-rounds N] 'CMD [ARG...]' ...")
		os.Exit(2)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fatal(err)
	}
	type command struct {
		line      string
		argv      []string
		wall, cpu []time.Duration
	}
	var cmds []*command
	for _, line := range flag.Args() {
		argv := strings.Fields(line)
		path, err := exec.LookPath(argv[0])
		if err != nil {
			fatal(err)
		}
		argv[0] = path
		cmds = append(cmds, &command{line: line, argv: argv})
	}
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, devnull.Fd(), 2}}
	for r := range *rounds {
		for j := range cmds {
			c := cmds[(j+r)%len(cmds)] // a different command goes first each round
			start := time.Now()
			pid, err := syscall.ForkExec(c.argv[0], c.argv, attr)
			if err != nil {
				fatal(err)
			}
			var ws syscall.WaitStatus
			var ru syscall.Rusage
			if _, err := syscall.Wait4(pid, &ws, 0, &ru); err != nil {
				fatal(err)
			}
			wall := time.Since(start)
			if ws.ExitStatus() != 0 {
				fatal(fmt.Errorf("%s: exit status %d", c.line, ws.ExitStatus()))
			}
			c.wall = append(c.wall, wall)
			c.cpu = append(c.cpu, time.Duration(ru.Utime.Nano()+ru.Stime.Nano()))
		}
	}
	fmt.Printf("%-50s %10s %10s %10s\n", "command", "p50", "p90", "CPU p50")
	for _, c := range cmds {
		slices.Sort(c.wall)
		slices.Sort(c.cpu)
		fmt.Printf("%-50s %10s %10s %10s\n", c.line, ms(at(c.wall, 0.5)), ms(at(c.wall, 0.9)), ms(at(c.cpu, 0.5)))
	}
}

// at is the q-quantile of sorted (nearest rank).
func at(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "procstart:", err)
	os.Exit(1)
}
