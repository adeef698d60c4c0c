//go:build unix

package securestore_test

import (
	"errors"
	"io"
	"os"
	"testing"
)

// The parts of helperProc that only the crash tests (Unix: they kill with
// SIGKILL) use.

// drain returns every line still to come, up to EOF.
func (p *helperProc) drain() []string {
	var out []string
	for l := range p.lines {
		out = append(out, l)
	}
	return out
}

// kill sends SIGKILL (on Windows, TerminateProcess) and returns every line
// the helper printed before it died: the pipe keeps whatever it wrote.
// The caller checks p.wait() to tell a kill from an earlier exit.
func (p *helperProc) kill(t testing.TB) []string {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill helper: %v", err)
	}
	rest := p.drain()
	p.wait()
	return rest
}

// finish closes the helper's stdin, which tells it to stop, and returns
// the rest of its output once it has exited; it fails the test unless the
// helper exited with status 0.
func (p *helperProc) finish(t testing.TB) []string {
	t.Helper()
	p.stdin.Close()
	rest := p.drain()
	if err := p.wait(); err != nil {
		t.Fatalf("helper %v: %v\nstderr:\n%s", p.cmd.Args, err, p.stderr)
	}
	return rest
}

// send writes one line to the helper's stdin.
func (p *helperProc) send(t testing.TB, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("write to helper: %v", err)
	}
}
