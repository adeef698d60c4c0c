package pinentry

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// TestTTYForeground: the asking program is the foreground job of the very
// terminal pinentry-tty prompts on (the agent run in the user's
// terminal, or a CLI that prompts itself). pinentry must not be a
// background job of that terminal, which SIGTTOU would stop as soon as it
// turns echo off.
func TestTTYForeground(t *testing.T) {
	term := openPTY(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(exe)
	cmd.Env = []string{"PINENTRY_ASKER=1", "PINENTRY_ASKER_PROGRAM=" + pinentryTTY(t), "PINENTRY_ASKER_TTY=" + term.name}
	cmd.Stdin, cmd.Stdout = term.slave, &out
	// A session of its own whose controlling terminal is the pty (fd 0):
	// the asker is the terminal's foreground process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	term.waitFor(t, "Passcode:")
	term.type_(t, "fg pass\n")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("asker: %v", err)
	}
	if want := "passcode: " + hex.EncodeToString([]byte("fg pass")) + "\n"; out.String() != want {
		t.Fatalf("asker printed %q, want %q", out.String(), want)
	}
	if !term.echoes(t) {
		t.Error("the terminal does not echo after pinentry-tty ended")
	}
}
