package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore/internal/servicetest"
)

// Script commands for testdata/script/sync.txtar.
func init() {
	// requireetcd fails the script without the cluster of .ci/with-etcd
	// under SECURESTORE_REQUIRE_SERVICES=1; else, without it (or in a
	// binary built without the sync command), it puts a
	// program named no-etcd on the script's PATH, for the script's next
	// line to skip on ([exec:no-etcd] skip: a custom command cannot skip
	// by itself). With the cluster, it sets $ETCD to its endpoints and
	// $PREFIX to a key prefix of the script's own.
	scriptCmds["requireetcd"] = func(ts *testscript.TestScript, neg bool, args []string) {
		eps := os.Getenv("SECURESTORE_TEST_ETCD")
		msg := "etcd is not available ($SECURESTORE_TEST_ETCD is not set); start it with: .ci/with-etcd go test -tags securestore_sync ./cmd/securestore/"
		if lookupCommand("sync") == nil {
			msg, eps = "the sync command is built only with -tags securestore_sync (command_sync.go)", ""
		} else if eps == "" {
			if servicetest.Required() {
				ts.Fatalf("%s [%s=1 makes this a failure]", msg, servicetest.EnvRequire)
			}
		}
		if eps == "" {
			ts.Logf("%s", msg)
			bin := ts.MkAbs(".no-etcd-bin")
			ts.Check(os.MkdirAll(bin, 0o700))
			ts.Check(os.WriteFile(filepath.Join(bin, "no-etcd"), []byte("#!/bin/sh\n"), 0o700))
			ts.Setenv("PATH", bin+string(os.PathListSeparator)+ts.Getenv("PATH"))
			return
		}
		ts.Setenv("ETCD", eps)
		ts.Setenv("PREFIX", fmt.Sprintf("/securestore-script/%d-%d/", os.Getpid(), scriptPrefixes.Add(1)))
	}
	// stdoutvar NAME REGEXP sets $NAME to the first group of REGEXP's
	// match in the last command's stdout.
	scriptCmds["stdoutvar"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: stdoutvar NAME REGEXP")
		}
		m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
		if len(m) < 2 {
			ts.Fatalf("stdout does not match %q", args[1])
		}
		ts.Setenv(args[0], m[1])
	}
}

var scriptPrefixes atomic.Int64
