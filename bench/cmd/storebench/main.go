// Command storebench measures securestore against the secret stores Go
// programs use instead, and soaks a store under a mixed load from several
// processes. bench/run.sh is the way to run it: it starts the Secret
// Service and the gpg agent the peers need and writes the report.
//
//	storebench run [-quick] [-work DIR] [-cli PATH] [-out results.json]
//	storebench soak [-duration 60s] [-procs 4] [-out soak.json]
//	storebench report -results results.json [-soak soak.json] -doc docs/BENCHMARKS.md
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/securestore-go/securestore/bench"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "run":
		err = runCmd(ctx, os.Args[2:])
	case "soak":
		err = soakCmd(ctx, os.Args[2:])
	case bench.SoakWorkerCommand:
		err = soakWorker(ctx, os.Args[2:])
	case "report":
		err = reportCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "storebench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: storebench run|soak|report [flags]   (storebench COMMAND -h for the flags)")
	os.Exit(2)
}

func newFlagSet(name string) *flag.FlagSet {
	return flag.NewFlagSet("storebench "+name, flag.ExitOnError)
}
