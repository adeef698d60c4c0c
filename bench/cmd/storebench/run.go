package main

import (
	"context"
	"flag"
	"os"

	"github.com/securestore-go/securestore/bench"
)

// runCmd is "storebench run": every comparison, printed as it is
// measured and saved to -out for "storebench report".
func runCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("run")
	quick := fs.Bool("quick", false, "small stores and short budgets: checks the harness, numbers too thin to quote")
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
	if *quick {
		settings = bench.QuickSettings()
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
