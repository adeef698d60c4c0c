//go:build unix

package pinentry

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a fake pinentry: run with $PINENTRY_FAKE set
// it speaks (or breaks) the Assuan protocol in the way that names, to
// play what a broken or hostile program would do.
func TestMain(m *testing.M) {
	if mode := os.Getenv("PINENTRY_FAKE"); mode != "" {
		fakePinentry(mode)
		os.Exit(0)
	}
	if os.Getenv("PINENTRY_ASKER") != "" {
		asker()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// asker is the test binary run as a program in the foreground of a
// terminal (PINENTRY_ASKER set): it asks for a passcode on that terminal
// and prints the answer, hex-encoded, or the error, on stdout.
func asker() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := &Pinentry{Program: os.Getenv("PINENTRY_ASKER_PROGRAM"), TTY: os.Getenv("PINENTRY_ASKER_TTY"), Env: []string{"PATH=/usr/bin:/bin"}}
	pass, err := p.AskPasscode(ctx, Prompt{Prompt: "Passcode:"})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("passcode:", hex.EncodeToString(pass.Bytes()))
	pass.Free()
}

// fakePinentry answers OK to every command until GETPIN, whose answer
// depends on mode. Every line it gets is appended to $PINENTRY_FAKE_LOG.
func fakePinentry(mode string) {
	out := bufio.NewWriter(os.Stdout)
	say := func(lines ...string) {
		for _, l := range lines {
			out.WriteString(l + "\n")
		}
		out.Flush()
	}
	switch mode {
	case "no-greeting":
		return
	case "err-greeting":
		say("ERR 1 not today")
		return
	case "sleeper":
		// A grandchild that holds the pipes open and never ends.
		select {}
	}
	say("OK Pleased to meet you")
	var log io.Writer = io.Discard
	if name := os.Getenv("PINENTRY_FAKE_LOG"); name != "" {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			log = f
		}
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		line := in.Text()
		fmt.Fprintln(log, line)
		cmd, _, _ := strings.Cut(line, " ")
		switch {
		case cmd == "OPTION" && mode == "unknown-option":
			say("ERR 83886254 Unknown option <Pinentry>")
		case cmd == "SETDESC" && mode == "garbage":
			say("HELLO THERE")
		case cmd == "BYE":
			say("OK closing connection")
			return
		case cmd != "GETPIN":
			say("OK")
		default:
			getPIN(mode, say)
		}
	}
}

func getPIN(mode string, say func(...string)) {
	switch mode {
	case "unknown-option", "plain":
		say("S PASSWORD_FROM_CACHE", "# a comment", "D s%25cr%0Aet", "D  two", "OK")
	case "empty":
		say("OK")
	case "timeout":
		say("ERR 83886142 Timeout <Pinentry>")
	case "fully-canceled":
		say("S ERROR tty.tty_cmd_handler 83886278", "ERR 83886278 Fully canceled <Pinentry>")
	case "other-error":
		say("ERR 83886346 Bad \x01passphrase <Pinentry>")
	case "huge-line":
		say("D " + strings.Repeat("a", 5000))
	case "endless-data":
		for range 10 {
			say("D " + strings.Repeat("a", 900))
		}
		say("OK")
	case "bad-escape":
		say("D ab%G1", "OK")
	case "inquire":
		say("INQUIRE QUALITY abc")
	case "die-mid-reply":
		say("D secret-so-far")
		os.Exit(1)
	case "die-mid-line":
		os.Stdout.WriteString("D secret-so-f")
		os.Exit(1)
	case "data-then-garbage":
		say("D secret", "GARBAGE")
	case "hang":
		// Deaf to Ctrl-C, with a child that keeps the pipes open: only
		// the kill of the whole group ends it.
		signal.Ignore(syscall.SIGINT)
		exe, _ := os.Executable()
		child := exec.Command(exe)
		child.Env = []string{"PINENTRY_FAKE=sleeper"}
		child.Stdin, child.Stdout = os.Stdin, os.Stdout
		child.Start()
		select {}
	}
}

// fake returns a Pinentry that runs the test binary as a fake in mode.
func fake(t *testing.T, mode string, extraEnv ...string) *Pinentry {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Pinentry{Program: exe, TTY: "/dev/null", Env: append([]string{"PINENTRY_FAKE=" + mode}, extraEnv...)}
}

func askFake(t *testing.T, mode string, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	pass, err := fake(t, mode).AskPasscode(ctx, Prompt{Description: "d", Prompt: "l"})
	if pass != nil {
		pass.Free()
		t.Fatalf("mode %s: got a passcode with error %v", mode, err)
	}
	return err
}

// TestFakeProtocol checks the passcode's assembly from several D lines
// with escapes, status and comment lines between, and an OPTION the
// program does not know.
func TestFakeProtocol(t *testing.T) {
	logFile := t.TempDir() + "/lines"
	for _, mode := range []string{"plain", "unknown-option"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		p := fake(t, mode, "PINENTRY_FAKE_LOG="+logFile)
		p.TermType, p.LCCtype = "xterm-256color", "C.UTF-8"
		pass, err := p.AskPasscode(ctx, Prompt{
			Title: "T", Description: "100% sure\nof it\\", Prompt: "Passcode:", Error: "Wrong passcode",
		})
		cancel()
		if err != nil {
			t.Fatalf("mode %s: %v", mode, err)
		}
		if got, want := string(pass.Bytes()), "s%cr\net two"; got != want {
			t.Errorf("mode %s: passcode %q, want %q", mode, got, want)
		}
		pass.Free()
	}
	sent, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"OPTION ttyname=/dev/null", "OPTION ttytype=xterm-256color", "OPTION lc-ctype=C.UTF-8",
		"SETTITLE T", "SETDESC 100%25 sure%0Aof it%5C", "SETPROMPT Passcode:", "SETERROR Wrong passcode",
		"GETPIN", "BYE",
	} {
		if !strings.Contains(string(sent), want+"\n") {
			t.Errorf("the program was not sent %q; it got:\n%s", want, sent)
		}
	}
	if !strings.Contains(string(sent), "SETTIMEOUT ") {
		t.Errorf("no SETTIMEOUT sent; the program got:\n%s", sent)
	}
}

// TestFakeAnswers maps the program's answers to the package's errors.
func TestFakeAnswers(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want error
	}{
		{"empty", ErrEmpty},
		{"timeout", ErrTimeout},
		{"fully-canceled", ErrCanceled},
	} {
		if err := askFake(t, tc.mode, 60*time.Second); !errors.Is(err, tc.want) {
			t.Errorf("mode %s: %v, want %v", tc.mode, err, tc.want)
		}
	}
	err := askFake(t, "other-error", 60*time.Second)
	var perr *Error
	if !errors.As(err, &perr) || perr.Code != 83886346 || perr.Step != "GETPIN" || strings.ContainsRune(perr.Description, 1) {
		t.Errorf("mode other-error: %#v, want an *Error with code 83886346 and a printable description", err)
	}
	err = askFake(t, "err-greeting", 60*time.Second)
	if !errors.As(err, &perr) || perr.Step != "greeting" {
		t.Errorf("mode err-greeting: %v, want an *Error at the greeting", err)
	}
}

// TestFakeHostile: a broken or hostile program gets a *ProtocolError,
// never a hang, a partial passcode, or its output in the error.
func TestFakeHostile(t *testing.T) {
	for mode, reason := range map[string]string{
		"no-greeting":       "ended before it answered",
		"garbage":           "malformed line",
		"huge-line":         "longer than 1000 bytes",
		"endless-data":      "passcode limit",
		"bad-escape":        "bad %XX escape",
		"inquire":           "malformed line",
		"die-mid-reply":     "ended before it answered",
		"die-mid-line":      "ended before it answered",
		"data-then-garbage": "malformed line",
	} {
		err := askFake(t, mode, 60*time.Second)
		var perr *ProtocolError
		if !errors.As(err, &perr) || !strings.Contains(perr.Reason, reason) {
			t.Errorf("mode %s: %v, want a *ProtocolError saying %q", mode, err, reason)
			continue
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "aaaa") {
			t.Errorf("mode %s: the error holds the program's output: %v", mode, err)
		}
	}
}

// TestFakeHung: a program that never answers, ignores Ctrl-C and leaves a
// child holding the pipes is killed at the deadline.
func TestFakeHung(t *testing.T) {
	err := askFake(t, "hang", 2*time.Second)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung program: %v, want ErrTimeout and context.DeadlineExceeded", err)
	}
}

func TestNoPinentry(t *testing.T) {
	ctx := context.Background()
	if _, err := (&Pinentry{Program: "/nonexistent/pinentry"}).AskPasscode(ctx, Prompt{}); !errors.Is(err, ErrNoPinentry) {
		t.Errorf("missing program: %v, want ErrNoPinentry", err)
	}
	t.Setenv("PATH", t.TempDir())
	t.Setenv(EnvProgram, "")
	if _, err := (&Pinentry{}).AskPasscode(ctx, Prompt{}); !errors.Is(err, ErrNoPinentry) {
		t.Errorf("no pinentry on $PATH: %v, want ErrNoPinentry", err)
	}
	t.Setenv(EnvProgram, "/nonexistent/pinentry-x")
	if err := (&Pinentry{}).Available(ctx); !errors.Is(err, ErrNoPinentry) {
		t.Errorf("$%s names a missing program: %v, want ErrNoPinentry", EnvProgram, err)
	}
}

func TestAvailableDisplay(t *testing.T) {
	ctx := context.Background()
	exe, _ := os.Executable() // any program that is not a text-only pinentry
	if err := (&Pinentry{Program: exe, Env: []string{"WAYLAND_DISPLAY=wayland-0"}}).Available(ctx); err != nil {
		t.Errorf("graphical pinentry with a display: %v", err)
	}
	if err := (&Pinentry{Program: exe, Env: []string{}}).Available(ctx); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("graphical pinentry with neither display nor terminal: %v, want ErrNoTerminal", err)
	}
}

func TestSessionEnv(t *testing.T) {
	got := SessionEnv([]string{"DISPLAY=:1", "LC_ALL=C", "AWS_SECRET_ACCESS_KEY=x", "SECURESTORE_PASSCODE=y", "PATH=/bin", "junk"})
	if strings.Join(got, " ") != "DISPLAY=:1 LC_ALL=C PATH=/bin" {
		t.Errorf("SessionEnv kept %q", got)
	}
}

// BenchmarkAskPasscode measures a whole prompt with a program that answers
// at once: start, the Assuan conversation, the exit.
func BenchmarkAskPasscode(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	p := &Pinentry{Program: exe, Env: []string{"PINENTRY_FAKE=plain"}}
	ctx := context.Background()
	for b.Loop() {
		pass, err := p.AskPasscode(ctx, Prompt{Description: "d", Prompt: "p"})
		if err != nil {
			b.Fatal(err)
		}
		pass.Free()
	}
}
