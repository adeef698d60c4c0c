package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/securestore-go/securestore/bench"
)

// soakCmd is "storebench soak": several processes, a mixed workload, one
// store, then a check of every acknowledged write. It exits non-zero when
// anything was lost, wrong or failed.
func soakCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("soak")
	duration := fs.Duration("duration", 60*time.Second, "how long the processes run")
	procs := fs.Int("procs", 4, "how many processes share the store")
	keys := fs.Int("keys", 20_000, "keys each process writes, deletes and reads")
	interval := fs.Duration("interval", 5*time.Second, "throughput is reported per interval")
	protector := fs.String("protector", "file", "the store's protector")
	dir := fs.String("dir", "", "the store's directory (default: a new temporary one)")
	out := fs.String("out", "soak.json", "where to write the result")
	fs.Parse(args)
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	res, err := bench.Soak(ctx, bench.SoakConfig{
		Dir: *dir, Protector: *protector, Procs: *procs, KeysPerProc: *keys,
		Duration: *duration, Interval: *interval, Exe: exe, Out: os.Stdout,
	})
	if err != nil {
		return err
	}
	if err := bench.WriteJSON(*out, res); err != nil {
		return err
	}
	if !res.OK() {
		return fmt.Errorf("soak: the store lost or changed acknowledged data, or operations failed (see above)")
	}
	return nil
}

// soakWorker is the hidden command each soak process runs.
func soakWorker(ctx context.Context, args []string) error {
	return bench.SoakWorkerMain(ctx, args, os.Stdout)
}
