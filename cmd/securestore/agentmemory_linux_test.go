package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// agentmemory SOCK checks, from outside, where the running agent that
// listens on SOCK keeps what it holds: it writes no core file (its core
// limit is 0), and some of its memory is both locked (out of swap: the
// "lo" flag of /proc/PID/smaps) and left out of core dumps ("dd", from
// MADV_DONTDUMP) — the internal/secmem buffers of its unlocked keys. Run
// it while a store is unlocked in the agent.
func init() {
	scriptCmds["agentmemory"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: agentmemory SOCK")
		}
		pid, err := listenerPID(args[0])
		ts.Check(err)
		limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
		ts.Check(err)
		if core := limitLine(string(limits), "Max core file size"); len(core) < 2 || core[0] != "0" || core[1] != "0" {
			ts.Fatalf("agent %d: core file size limit %q, want 0 0", pid, core)
		}
		smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
		ts.Check(err)
		if !hasLockedNoDump(string(smaps)) {
			ts.Fatalf("agent %d: no mapping is both locked (lo) and out of core dumps (dd)", pid)
		}
	}
}

// listenerPID finds the process with a listening Unix socket bound to
// path: its inode in /proc/net/unix, then the process holding a
// descriptor of that socket.
func listenerPID(path string) (int, error) {
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	inode := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Num RefCount Protocol Flags Type St Inode Path
		fields := strings.Fields(sc.Text())
		if len(fields) == 8 && fields[7] == path && fields[3] == "00010000" { // __SO_ACCEPTCON: listening
			inode = fields[6]
		}
	}
	if inode == "" {
		return 0, fmt.Errorf("no process listens on %s", path)
	}
	want := "socket:[" + inode + "]"
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && link == want {
			return strconv.Atoi(strings.Split(fd, "/")[2])
		}
	}
	return 0, fmt.Errorf("no process holds the socket %s", want)
}

// limitLine returns the soft and hard values of a /proc/PID/limits row.
func limitLine(limits, name string) []string {
	for line := range strings.SplitSeq(limits, "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			return strings.Fields(rest)
		}
	}
	return nil
}

// hasLockedNoDump reports whether some mapping in smaps has both the
// "lo" (locked) and "dd" (do not dump) VmFlags.
func hasLockedNoDump(smaps string) bool {
	for line := range strings.SplitSeq(smaps, "\n") {
		flags, ok := strings.CutPrefix(line, "VmFlags:")
		if !ok {
			continue
		}
		var lo, dd bool
		for _, f := range strings.Fields(flags) {
			lo = lo || f == "lo"
			dd = dd || f == "dd"
		}
		if lo && dd {
			return true
		}
	}
	return false
}
