package securestore_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
)

// The crash and multi-process tests need other processes that use a store.
// Like the os/exec tests of the standard library, they start this test
// binary again: when $SECURESTORE_TEST_HELPER names a helper mode, TestMain
// runs that helper instead of the tests, with the arguments that follow
// "--" on the command line, and exits with its status.
const helperEnv = "SECURESTORE_TEST_HELPER"

// helperModes maps a mode to its helper. Test files add theirs in init;
// a helper returns the process's exit status (0 = success).
var helperModes = map[string]func(args []string) int{}

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helper := helperModes[mode]
		if helper == nil {
			fmt.Fprintf(os.Stderr, "%s=%q: no such helper mode\n", helperEnv, mode)
			os.Exit(2)
		}
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Exit(helper(args))
	}
	os.Exit(m.Run())
}

// helperProc is a running helper process. A goroutine of its own reads its
// stdout line by line into lines (closed at EOF), so that the child can run
// ahead of the test by the channel's buffer and the pipe's before a write
// blocks it, while the test waits on another process.
type helperProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *bytes.Buffer
	waited sync.Once
	err    error
}

// helperStart starts this test binary as helper mode with args. The process
// is killed when the test ends, if it is still running then. "-test.run=^$"
// is a guard: were TestMain ever to miss the helper mode, the child would
// still run no tests.
func helperStart(t testing.TB, mode string, args ...string) *helperProc {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	p := &helperProc{cmd: cmd, lines: make(chan string, 1024), stderr: new(bytes.Buffer)}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper %s: %v", mode, err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.wait()
	})
	return p
}

// next returns the next line the helper printed, or ok == false once its
// stdout is closed (it exited or was killed).
func (p *helperProc) next() (line string, ok bool) {
	line, ok = <-p.lines
	return line, ok
}

// wait waits for the process to exit, after its stdout has been drained,
// and returns how it ended.
func (p *helperProc) wait() error {
	p.waited.Do(func() {
		for range p.lines {
		}
		p.err = p.cmd.Wait()
	})
	return p.err
}

// helperStdin, in a helper, returns the lines the test writes to its
// stdin. The channel is closed at EOF, the test's signal to stop.
func helperStdin() <-chan string {
	in := make(chan string)
	go func() {
		defer close(in)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			in <- sc.Text()
		}
	}()
	return in
}

// helperSeedEnv replays a failed randomised test: set it to the seed the
// failing test logged.
const helperSeedEnv = "SECURESTORE_TEST_SEED"

// helperSeed returns the seed of a randomised test, from $SECURESTORE_TEST_SEED
// or else the clock, and logs it so that a failure can be replayed.
func helperSeed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(helperSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("$%s: %v", helperSeedEnv, err)
		}
	}
	t.Logf("seed %d (replay with %s=%d)", seed, helperSeedEnv, seed)
	return seed
}

// writableClasses are the classes a store without a passcode can write:
// all but WhenPasscodeSetThisDeviceOnly.
var writableClasses = []securestore.Accessibility{
	securestore.WhenUnlocked, securestore.AfterFirstUnlock, securestore.Always,
	securestore.WhenUnlockedThisDeviceOnly, securestore.AfterFirstUnlockThisDeviceOnly,
	securestore.AlwaysThisDeviceOnly,
}
