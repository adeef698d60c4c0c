package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
)

// syncCommand is "securestore sync": it runs the program securestore-sync
// (cmd/securestore-sync) with the same arguments, git-style. Sync lives in
// a program of its own because the etcd client it links (gRPC and
// protobuf) would cost every securestore command its start-up time, and
// its package initialisation opens descriptors before main runs, which
// --passcode-fd's check would take for ones passed to us. The dispatcher's
// tests are in testdata/script/sync.txtar; securestore-sync's own, against
// etcd, are beside it.
var syncCommand = &command{
	name:     "sync",
	args:     []string{"ACTION"},
	actions:  []string{"create", "join", "approve", "revoke", "status", "run"},
	moreArgs: true,
	summary:  "synchronize synchronizable items through etcd (runs securestore-sync)",
	help: `Keep the store's synchronizable items (set --synchronizable, or
Options.Synchronizable in a program) the same on every device of a sync
group on an etcd cluster, which sees only ciphertext (docs/SYNC.md):

  create            make a new group at --prefix, with this device in it
  join              publish this device's key and print its join code
  approve CODE      on a member: give the group key to the device whose
                    join code is CODE
  revoke DEVICE     remove a device and rotate the group key
  status            the group, its devices, the revision applied, the
                    changes waiting to be pushed
  run               keep the store in sync until interrupted

The sync command is a separate program, securestore-sync, so that the
etcd client it links costs no other command its start-up time.
"securestore sync ARGS..." runs "securestore-sync ARGS..." from the
directory of securestore itself, else from $PATH, with the same standard
streams; its exit status is sync's. Install it with

    go install github.com/securestore-go/securestore/cmd/securestore-sync@latest

and run 'securestore sync ACTION --help' (or 'securestore-sync --help')
for its flags: --endpoints, --prefix, TLS and etcd user flags. The
global flags (--app, --dir, --group, --protector) are passed on.
SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed on to it.`,
	setup:    noFlags(nil),
	external: runSyncProgram,
}

// syncProgram is the program that "securestore sync" runs.
const syncProgram = "securestore-sync"

// syncInstall is how to install it, for the error when it is missing.
const syncInstall = "go install github.com/securestore-go/securestore/cmd/securestore-sync@latest"

// errNoSyncProgram is the error when securestore-sync is nowhere to be found.
var errNoSyncProgram = errors.New("sync: the program " + syncProgram + " is not installed next to securestore or on $PATH; install it with: " + syncInstall)

// runSyncProgram runs securestore-sync with args, which are sync's own
// command line unparsed (the global flags included), as run runs CMD:
// standard streams passed through, signals passed on, its exit status
// ours.
func runSyncProgram(ctx context.Context, inv *invocation, args []string) error {
	path, err := findSyncProgram()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Args[0] = syncProgram
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inv.stdin, inv.stdout, inv.stderr
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, forwardedSignals...)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-signals:
				_ = cmd.Process.Signal(sig) // fails only once it has exited
			case <-done:
				return
			}
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	var exitErr *exec.ExitError
	switch {
	case errors.As(waitErr, &exitErr):
		// securestore-sync printed its own message.
		return &childExitError{code: childStatus(exitErr.ProcessState)}
	case waitErr != nil:
		return fmt.Errorf("sync: %w", waitErr)
	}
	return nil
}

// findSyncProgram looks for securestore-sync next to the running
// securestore first (the two are installed together), then on $PATH.
func findSyncProgram() (string, error) {
	name := syncProgram
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		if path, err := exec.LookPath(filepath.Join(filepath.Dir(self), name)); err == nil {
			return path, nil
		}
	}
	if path, err := exec.LookPath(syncProgram); err == nil {
		return path, nil
	}
	return "", errNoSyncProgram
}
