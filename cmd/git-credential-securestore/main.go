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
	a, err := parseArgs(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\nusage: %s [--app NAME] [--max-value-bytes N] get|store|erase\n", name, err, name)
		return exitUsage
	}
	app, op := a.app, a.op
	switch op {
	case "get", "store", "erase":
	default:
		// Git's own helpers ignore operations they do not know, so that
		// a later git may add some.
		return exitOK
	}
	if err := serve(context.Background(), app, op, a.maxValue, stdin, stdout); err != nil {
		// Neither the library's errors nor ours hold a secret.
		fmt.Fprintf(stderr, "%s: %s\n", name, strings.TrimPrefix(err.Error(), "securestore: "))
		return exitFailure
	}
	return exitOK
}

// usage is the --help text.
const usage = `usage: git-credential-securestore [--app NAME] [--max-value-bytes N] get|store|erase

A git credential helper that keeps credentials in a securestore store
(app "` + git.DefaultApp + `" unless --app says otherwise). Configure it with:

    git config --global credential.helper securestore

--app NAME             use the store of app NAME
--max-value-bytes N    store credentials up to N bytes once encoded
                       (default $` + credential.EnvMaxValueBytes + `, else 65536)

Git runs it; it reads git's request on standard input.
`

// errHelp is --help or -h.
var errHelp = errors.New("help")

// args are the parsed command line.
type args struct {
	app, op  string
	maxValue int
}

// parseArgs reads "[--app NAME] [--max-value-bytes N] OPERATION". The app
// comes from the helper string in git's configuration ("securestore --app
// work").
func parseArgs(argv []string) (args, error) {
	a := args{app: git.DefaultApp}
	var rest []string
	var maxFlag string
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch {
		case arg == "-h" || arg == "--help" || arg == "-help":
			return args{}, errHelp
		case strings.HasPrefix(arg, "-") && arg != "-" && (flagName == "app" || flagName == "max-value-bytes"):
			if !hasValue {
				if i+1 == len(argv) {
					return args{}, fmt.Errorf("--%s needs a value", flagName)
				}
				i++
				value = argv[i]
			}
			if flagName == "app" {
				a.app = value
			} else {
				maxFlag = value
			}
		case strings.HasPrefix(arg, "-") && arg != "-":
			return args{}, fmt.Errorf("unknown flag %q", arg)
		default:
			rest = append(rest, arg)
		}
	}
	if a.app == "" {
		return args{}, errors.New("--app is empty")
	}
	if len(rest) != 1 {
		return args{}, errors.New("want exactly one operation")
	}
	a.op = rest[0]
	var err error
	if a.maxValue, err = credential.MaxValueBytes(maxFlag, credential.HelperMaxValueBytes); err != nil {
		return args{}, err
	}
	return a, nil
}

// serve reads git's request and answers it from the app's store.
func serve(ctx context.Context, app, op string, maxValue int, stdin io.Reader, stdout io.Writer) error {
	req, err := git.ParseRequest(stdin)
	if err != nil {
		return err
	}
	return credential.WithStore(ctx, securestore.Config{App: app, MaxValueBytes: maxValue}, func(s *securestore.Store) error {
		h := &git.Helper{Items: s, App: app, Now: clock, MaxValueBytes: maxValue}
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
