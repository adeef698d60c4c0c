//go:build unix

package servicetest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// EnvTPM locates the TPM of the tpm protector; .ci/with-swtpm sets it to
// its simulator, e.g. "tcp:127.0.0.1:2321".
const EnvTPM = "SECURESTORE_TPM"

// StartSWTPMCmd is how to run the tests with a TPM simulator.
const StartSWTPMCmd = ".ci/with-swtpm go test ./..."

// SharedTPM stops the test unless $SECURESTORE_TPM names a TPM, and
// returns it.
func SharedTPM(t testing.TB) string {
	t.Helper()
	return Env(t, EnvTPM, "TPM 2.0 (swtpm)", StartSWTPMCmd)
}

// SWTPM is a private TPM 2.0 simulator for one test, with its state in the
// test's temporary directory, so that the test can stop, hang and restart
// it (or clear it) without disturbing other tests.
type SWTPM struct {
	t     testing.TB
	dir   string
	Addr  string // 127.0.0.1:PORT of the command channel
	Where string // the $SECURESTORE_TPM value that selects it
	cmd   *exec.Cmd
	fixed bool // Addr was handed out: restarts must keep it
}

// StartSWTPM starts a private swtpm and points $SECURESTORE_TPM at it for
// the rest of the test (so the test must not be parallel). It stops the
// simulator when the test ends.
func StartSWTPM(t *testing.T) *SWTPM {
	t.Helper()
	if _, err := exec.LookPath("swtpm"); err != nil {
		Missing(t, "TPM 2.0 (swtpm)", "swtpm is not installed (apt-get install swtpm swtpm-tools)", StartSWTPMCmd)
	}
	dir, err := os.MkdirTemp("", "swtpm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Mkdir(filepath.Join(dir, "state"), 0o700); err != nil {
		t.Fatal(err)
	}
	s := &SWTPM{t: t, dir: dir}
	t.Cleanup(s.Stop)
	s.Start()
	t.Setenv(EnvTPM, s.Where)
	return s
}

// Start starts the simulator and waits until its command port accepts
// connections. After Stop it brings back the same TPM state, on the same
// port. (swtpm's --server fd= takes a connected socket, not a listening
// one, so a free port is found by binding and releasing it; another
// process taking it in between makes swtpm exit, and Start tries again.)
func (s *SWTPM) Start() {
	s.t.Helper()
	for try := 0; try < 5; try++ {
		if s.Addr == "" || try > 0 && !s.fixed {
			s.Addr = freePort(s.t)
		}
		if s.startOn() {
			s.Where = "tcp:" + s.Addr
			s.fixed = true // a restart keeps the address the test knows
			return
		}
	}
	s.t.Fatalf("swtpm did not start; its log is in %s", filepath.Join(s.dir, "log"))
}

func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startOn starts swtpm on s.Addr and reports whether it came up.
func (s *SWTPM) startOn() bool {
	_, port, _ := net.SplitHostPort(s.Addr)
	s.cmd = exec.Command("swtpm", "socket", "--tpm2",
		"--tpmstate", "dir="+filepath.Join(s.dir, "state"),
		"--server", "type=tcp,bindaddr=127.0.0.1,port="+port,
		"--ctrl", "type=unixio,path="+filepath.Join(s.dir, "ctrl"),
		"--flags", "not-need-init,startup-clear",
		"--log", "file="+filepath.Join(s.dir, "log")+",level=1")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start swtpm: %v", err)
	}
	exited := make(chan struct{})
	go func() { s.cmd.Process.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			s.cmd = nil
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			c.Close()
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Stop()
	return false
}

// Stop kills the simulator, as a crash would.
func (s *SWTPM) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGCONT)
		s.cmd.Process.Kill()
		for i := 0; i < 200 && syscall.Kill(s.cmd.Process.Pid, 0) == nil; i++ {
			time.Sleep(5 * time.Millisecond) // reaped by startOn's waiter
		}
	}
	s.cmd = nil
}

// Freeze stops the simulator without ending it (SIGSTOP): connections are
// accepted by the kernel and nothing answers, as with a hung TPM.
func (s *SWTPM) Freeze() { s.cmd.Process.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen simulator.
func (s *SWTPM) Thaw() { s.cmd.Process.Signal(syscall.SIGCONT) }
