package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
	"github.com/securestore-go/securestore/cmd/internal/credential/git"
	"github.com/securestore-go/securestore/internal/secmem"
)

const name = "git-credential-securestore"

// clock tells the time; tests replace it.
var clock = time.Now

func main() {
	// Keys pass through this process: keep them out of core files (and,
	// on Linux, away from same-user ptrace). Best effort: lowering a limit
	// does not fail in practice, and the program works without it.
	_ = secmem.DisableCoreDumps()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit status: git ignores it except to know that the helper failed,
// and shows what the helper wrote to standard error.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// run is the whole program minus the process, for tests.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app, op, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\nusage: %s [--app NAME] get|store|erase\n", name, err, name)
		return exitUsage
	}
	switch op {
	case "get", "store", "erase":
	default:
		// Git's own helpers ignore operations they do not know, so that
		// a later git may add some.
		return exitOK
	}
	if err := serve(context.Background(), app, op, stdin, stdout); err != nil {
		// Neither the library's errors nor ours hold a secret.
		fmt.Fprintf(stderr, "%s: %s\n", name, strings.TrimPrefix(err.Error(), "securestore: "))
		return exitFailure
	}
	return exitOK
}

// parseArgs reads "[--app NAME] OPERATION". The app comes from the helper
// string in git's configuration ("securestore --app work").
func parseArgs(args []string) (app, op string, err error) {
	app = git.DefaultApp
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--app" || a == "-app":
			if i+1 == len(args) {
				return "", "", errors.New("--app needs a NAME")
			}
			i++
			app = args[i]
		case strings.HasPrefix(a, "--app=") || strings.HasPrefix(a, "-app="):
			_, app, _ = strings.Cut(a, "=")
		case strings.HasPrefix(a, "-") && a != "-":
			return "", "", fmt.Errorf("unknown flag %q", a)
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) != 1 {
		return "", "", errors.New("want exactly one operation")
	}
	return app, rest[0], nil
}

// serve reads git's request and answers it from the app's store.
func serve(ctx context.Context, app, op string, stdin io.Reader, stdout io.Writer) error {
	req, err := git.ParseRequest(stdin)
	if err != nil {
		return err
	}
	return credential.WithStore(ctx, securestore.Config{App: app}, func(s *securestore.Store) error {
		h := &git.Helper{Items: s, App: app, Now: clock}
		switch op {
		case "get":
			return h.Get(ctx, &req, stdout)
		case "store":
			return h.Store(ctx, &req)
		default: // "erase", as run checked
			return h.Erase(ctx, &req)
		}
	})
}
