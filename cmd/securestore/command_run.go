package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/securestore-go/securestore"
)

// runCommand is "securestore run"; its tests are in testdata/script/run.txtar
// and command_run_test.go.
var runCommand = &command{
	name:     "run",
	args:     []string{"CMD"},
	moreArgs: true,
	summary:  "run CMD with the secrets its environment refers to",
	help: `Run CMD with its arguments, after replacing each environment variable
whose whole value is a reference to an item with that item's value, as
"op run" and "bws run" do. Put "--" before CMD when CMD or its arguments
start with "-":

    GITHUB_TOKEN=securestore://github/token securestore run -- gh repo list

A reference is one of
    securestore://SERVICE/KEY              in the store of --app (or
                                           $SECURESTORE_APP, or --group)
    securestore://app/APP/SERVICE/KEY      in the store of app APP
    securestore://group/GROUP/SERVICE/KEY  in the shared access group GROUP
where each part follows the name rule (A-Z a-z 0-9 . _ -), so "/" only
separates them. A value that contains a reference but is not one is left
as it is. The secrets go only into CMD's environment: never into its
arguments or a file.

Every reference is resolved before CMD starts. When one cannot be (no
such item, a locked store that could not be unlocked, a malformed
reference), run names the variable, never a value, and starts nothing
(exit status 1 for a missing item, 2 for a malformed reference, 3 when
locked). A store with a passcode is unlocked once, at the terminal or
from --passcode-fd, one line for each store that needs it, and locked
again before CMD starts.

CMD's standard output and standard error pass through a filter that
replaces every resolved secret of 4 bytes or more with
"<concealed by securestore>", also when it is split across two writes; a
secret shorter than that is not masked (it would garble ordinary
output), and run says which variable holds one. With --no-masking, CMD
writes to run's own standard output and error directly. Masking is a
safety net against printing a secret by mistake, not a boundary: CMD has
the secret and can write it elsewhere or transformed.

SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed on to CMD. run exits with
CMD's exit status, or 128 plus the signal's number when a signal ended
CMD, as shells report it; with 4 when CMD cannot be started. The file
descriptor of --passcode-fd is not passed on to CMD.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var noMasking bool
		fs.BoolVar(&noMasking, "no-masking", false, "let CMD write to standard output and error directly, without masking the secrets")
		definePasscodeFD(fs, &inv.secrets)
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runRun(ctx, inv, args, noMasking)
		}
	},
}

// childExitError is CMD's exit status, which run passes on as its own
// without a message.
type childExitError struct{ code int }

func (e *childExitError) Error() string {
	return fmt.Sprintf("the command exited with status %d", e.code)
}

func runRun(ctx context.Context, inv *invocation, args []string, noMasking bool) error {
	// A reference names its service, and run sets nothing: these flags
	// would be silently ignored.
	if inv.global.service != "" || inv.global.accessible.name != "" {
		return &usageError{command: "run", msg: "--service and --accessible do not apply: each reference names its service"}
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		// A program that is not there is caught before any store is
		// opened or unlocked.
		return fmt.Errorf("run: %w", err)
	}
	env, secrets, err := inv.resolveEnv(ctx, os.Environ())
	if err != nil {
		return err
	}
	// The passcode's file descriptor may hold more lines; they are not
	// CMD's to read.
	for fd := range inv.secrets.fds {
		if fd > 2 {
			closeOnExec(fd)
		}
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Env = env
	cmd.Stdin = inv.stdin
	cmd.Stdout, cmd.Stderr = inv.stdout, inv.stderr
	var maskers []*maskingWriter
	if !noMasking {
		values := make([]string, 0, len(secrets))
		for _, s := range secrets {
			values = append(values, s.value)
		}
		out, errOut := newMaskingWriter(inv.stdout, values), newMaskingWriter(inv.stderr, values)
		cmd.Stdout, cmd.Stderr = out, errOut
		maskers = append(maskers, out, errOut)
	}

	// Signals that arrive before CMD starts wait in the channel and are
	// passed on once it has.
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, forwardedSignals...)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-signals:
				_ = cmd.Process.Signal(sig) // fails only once CMD has exited
			case <-done:
				return
			}
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	for _, m := range maskers {
		if err := m.Close(); err != nil && waitErr == nil {
			waitErr = err
		}
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(waitErr, &exitErr):
		return &childExitError{code: childStatus(exitErr.ProcessState)}
	case waitErr != nil:
		return fmt.Errorf("run: %w", waitErr)
	}
	return nil
}

// resolvedSecret is one variable whose reference run resolved.
type resolvedSecret struct {
	name, value string
}

// resolveEnv returns environ with every reference replaced by its item's
// value, and the secrets it put in. Each store is opened once, unlocked
// at most once, and closed (and locked) before resolveEnv returns.
func (inv *invocation) resolveEnv(ctx context.Context, environ []string) ([]string, []resolvedSecret, error) {
	type wanted struct {
		index int // in environ
		name  string
		ref   reference
	}
	byStore := map[storeKey][]wanted{}
	var order []storeKey
	for i, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		ref, ok, err := parseReference(value)
		if !ok {
			continue
		}
		if err != nil {
			return nil, nil, &inputError{msg: fmt.Sprintf("run: $%s: %v; nothing was started", name, err)}
		}
		k := inv.storeOf(ref)
		if _, seen := byStore[k]; !seen {
			order = append(order, k)
		}
		byStore[k] = append(byStore[k], wanted{index: i, name: name, ref: ref})
	}
	env := slices.Clone(environ)
	var secrets []resolvedSecret
	for _, k := range order {
		err := inv.withStoreOf(ctx, k, func(s *securestore.Store, unlock func(error) error) error {
			for _, w := range byStore[k] {
				opts := &securestore.Options{KeychainService: w.ref.service, AccessGroup: k.group}
				value, err := s.GetItem(ctx, w.ref.key, opts)
				if errors.Is(err, securestore.ErrLocked) {
					if err = unlock(err); err == nil {
						value, err = s.GetItem(ctx, w.ref.key, opts)
					}
				}
				if errors.Is(err, securestore.ErrNotFound) {
					err = &notFoundError{key: w.ref.key, service: w.ref.service, store: k.String(), err: err}
				}
				if err != nil {
					return fmt.Errorf("run: $%s: %w; nothing was started", w.name, err)
				}
				env[w.index] = w.name + "=" + value
				secrets = append(secrets, resolvedSecret{name: w.name, value: value})
				if len(value) < minMaskedLen {
					fmt.Fprintf(inv.stderr, "securestore: run: the value of $%s is shorter than %d bytes and is not masked\n", w.name, minMaskedLen)
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return env, secrets, nil
}

// storeKey names one store that references point into: an app's own, or
// an access group (opened as the invocation's app).
type storeKey struct{ app, group string }

func (k storeKey) String() string {
	if k.group != "" {
		return fmt.Sprintf("access group %q", k.group)
	}
	return fmt.Sprintf("app %q", k.app)
}

// storeOf is the store that ref points into.
func (inv *invocation) storeOf(ref reference) storeKey {
	switch {
	case ref.app != "":
		return storeKey{app: ref.app}
	case ref.group != "":
		return storeKey{app: inv.app(), group: ref.group}
	case inv.global.group != "":
		return storeKey{app: inv.app(), group: inv.global.group}
	default:
		return storeKey{app: inv.app()}
	}
}

// withStoreOf opens the store k and calls use with it and a function that
// unlocks it (once: later calls return the first's result). The store is
// locked again and closed when use returns.
func (inv *invocation) withStoreOf(ctx context.Context, k storeKey, use func(s *securestore.Store, unlock func(cause error) error) error) error {
	// The flags name the store to open and the app the passcode prompt
	// names; they are put back afterwards.
	saved := inv.global
	defer func() { inv.global = saved }()
	inv.global.app, inv.global.group = k.app, k.group
	return inv.withStore(ctx, func(s *securestore.Store) error {
		var tried bool
		var unlockErr error
		defer s.Lock()
		return use(s, func(cause error) error {
			if !tried {
				tried = true
				unlockErr = inv.unlock(ctx, s, cause)
			}
			return unlockErr
		})
	})
}

// forwardedSignals are passed on to CMD.
var forwardedSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// childStatus is the exit status a shell would report for CMD: its own,
// or 128 plus the signal that ended it.
func childStatus(state *os.ProcessState) int {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}
