package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/securestore-go/securestore/bench"
)

// runCmd is "storebench run": every comparison, printed as it is
// measured and saved to -out for "storebench report".
func runCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("run")
	quick := fs.Bool("quick", false, "small stores and short budgets: checks the harness, numbers too thin to quote")
	cliOnly := fs.Bool("cli-only", false, "only the CLI get comparison, at 10,000 items, against pass, secret-tool and /bin/true")
	work := fs.String("work", "", "directory for the file-based stores (default: a new one under $TMPDIR, removed afterwards)")
	cli := fs.String("cli", "", "the built securestore command, for the CLI get comparison")
	version := fs.String("securestore-version", "(unknown)", "the repository's revision, for the report")
	out := fs.String("out", "results.json", "where to write the results")
	fs.Parse(args)
	if fs.NArg() > 0 {
		fs.Usage()
		return flag.ErrHelp
	}
	settings := bench.FullSettings()
	switch {
	case *quick && *cliOnly:
		return fmt.Errorf("-quick and -cli-only are two different runs")
	case *quick:
		settings = bench.QuickSettings()
	case *cliOnly:
		settings = bench.CLISettings()
	}
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "storebench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	res, err := bench.Run(ctx, bench.RunConfig{
		Settings:           settings,
		WorkDir:            dir,
		CLI:                *cli,
		SecurestoreVersion: *version,
		Out:                os.Stdout,
	})
	if err != nil {
		// No results file: a run with a broken comparison must not be
		// turned into a report.
		return err
	}
	return bench.WriteJSON(*out, res)
}
