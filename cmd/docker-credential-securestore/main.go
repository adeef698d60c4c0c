package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
	"github.com/securestore-go/securestore/cmd/internal/credential/docker"
	"github.com/securestore-go/securestore/internal/secmem"
)

const name = "docker-credential-securestore"

func main() {
	// Keys pass through this process: keep them out of core files (and,
	// on Linux, away from same-user ptrace). Best effort: lowering a limit
	// does not fail in practice, and the program works without it.
	_ = secmem.DisableCoreDumps()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout))
}

// run is the whole program minus the process, for tests. Docker reads the
// helper's errors from standard output, so everything goes there; exit
// status 1 means failure.
func run(args []string, stdin io.Reader, stdout io.Writer) int {
	var maxFlag string
	if len(args) >= 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "-help") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if len(args) == 3 && (args[0] == "--max-value-bytes" || args[0] == "-max-value-bytes") {
		maxFlag, args = args[1], args[2:]
	} else if len(args) == 2 && strings.HasPrefix(args[0], "--max-value-bytes=") {
		maxFlag, args = strings.TrimPrefix(args[0], "--max-value-bytes="), args[1:]
	}
	if len(args) != 1 {
		fmt.Fprintf(stdout, "Usage: %s [--max-value-bytes N] <store|get|erase|list|version>\n", name)
		return 1
	}
	var err error
	if maxValue, err = credential.MaxValueBytes(maxFlag, credential.HelperMaxValueBytes); err != nil {
		fmt.Fprintln(stdout, err)
		return 1
	}
	action, ok := actions[args[0]]
	if !ok {
		fmt.Fprintf(stdout, "Unknown credential action `%s`\n", args[0])
		return 1
	}
	if err := action(context.Background(), stdin, stdout); err != nil {
		// Neither the library's errors nor ours hold a secret.
		fmt.Fprintln(stdout, err)
		return 1
	}
	return 0
}

// usage is the --help text.
const usage = `Usage: docker-credential-securestore [--max-value-bytes N] <store|get|erase|list|version>

A docker credential helper that keeps registry credentials in a securestore
store (app "` + docker.App + `"). Configure it in ~/.docker/config.json:

    { "credsStore": "securestore" }

--max-value-bytes N    store credentials up to N bytes once encoded
                       (default $` + credential.EnvMaxValueBytes + `, else 65536)

Docker runs it; it reads docker's request on standard input and answers,
errors included, on standard output.
`

// maxValue is the largest credential the helper stores (run sets it).
var maxValue = credential.HelperMaxValueBytes

// actions are the helper's operations, by the name docker gives them.
var actions = map[string]func(ctx context.Context, stdin io.Reader, stdout io.Writer) error{
	"store": func(ctx context.Context, stdin io.Reader, _ io.Writer) error {
		data, err := docker.ReadInput(stdin)
		if err != nil {
			return err
		}
		c, err := docker.ParseStoreInput(data)
		if err != nil {
			return err
		}
		return withHelper(ctx, func(h *docker.Helper) error { return h.Store(ctx, c) })
	},
	"get": func(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
		serverURL, err := readServerURL(stdin)
		if err != nil {
			return err
		}
		return withHelper(ctx, func(h *docker.Helper) error {
			c, err := h.Get(ctx, serverURL)
			if err != nil {
				return err
			}
			return docker.WriteCredentials(stdout, c)
		})
	},
	"erase": func(ctx context.Context, stdin io.Reader, _ io.Writer) error {
		serverURL, err := readServerURL(stdin)
		if err != nil {
			return err
		}
		return withHelper(ctx, func(h *docker.Helper) error { return h.Erase(ctx, serverURL) })
	},
	"list": func(ctx context.Context, _ io.Reader, stdout io.Writer) error {
		return withHelper(ctx, func(h *docker.Helper) error {
			list, err := h.List(ctx)
			if err != nil {
				return err
			}
			return json.NewEncoder(stdout).Encode(list)
		})
	},
	"version": func(_ context.Context, _ io.Reader, stdout io.Writer) error {
		_, err := fmt.Fprintf(stdout, "%s (github.com/securestore-go/securestore) %s\n", name, version())
		return err
	},
}

// readServerURL reads the input of get and erase.
func readServerURL(stdin io.Reader) (string, error) {
	data, err := docker.ReadInput(stdin)
	if err != nil {
		return "", err
	}
	return docker.ParseServerURLInput(data)
}

// withHelper opens the helper's store, runs use and closes the store.
func withHelper(ctx context.Context, use func(*docker.Helper) error) error {
	return credential.WithStore(ctx, securestore.Config{App: docker.App, MaxValueBytes: maxValue}, func(s *securestore.Store) error {
		return use(&docker.Helper{Items: s, MaxValueBytes: maxValue})
	})
}

// version is the module version the binary was built from, "(devel)" for
// a build in a checkout.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
