package storage

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// child runs this test binary again as a second process, running only
// test (which sees env and plays the other side), and returns its
// standard input, a reader of its standard output, and stop, which closes
// its input (telling it to end) and waits for it to exit. Cleanup stops it
// if the test has not.
func child(t *testing.T, test, env string) (stdin io.Writer, stdout *bufio.Reader, stop func() error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = sync.OnceValue(func() error {
		in.Close()
		return cmd.Wait()
	})
	t.Cleanup(func() { stop() })
	return in, bufio.NewReader(out), stop
}
