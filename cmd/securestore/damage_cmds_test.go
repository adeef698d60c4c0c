package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
	_ "modernc.org/sqlite"

	"github.com/securestore-go/securestore"
)

// Script commands that damage a store, for doctor.txtar's --check and
// repair.txtar.
func init() {
	// sqlexec FILE QUERY runs QUERY on the database FILE directly, as
	// someone with write access to it could.
	scriptCmds["sqlexec"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: sqlexec FILE QUERY")
		}
		db, err := sql.Open("sqlite", "file:"+ts.MkAbs(args[0]))
		ts.Check(err)
		defer db.Close()
		_, err = db.Exec(args[1])
		ts.Check(err)
	}
	// storewithwal DIR N makes the app "default" in DIR with N items
	// k00.. (values v-00..), the way a crash leaves it: the changes still
	// in its -wal file.
	scriptCmds["storewithwal"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: storewithwal DIR N")
		}
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		ctx := context.Background()
		src, err := os.MkdirTemp("", "storewithwal-*")
		ts.Check(err)
		defer os.RemoveAll(src)
		s, err := securestore.Open(ctx, securestore.Config{App: "default", Dir: src, Protector: "file"})
		ts.Check(err)
		defer s.Close()
		for i := range n {
			ts.Check(s.SetItem(ctx, fmt.Sprintf("k%02d", i), fmt.Sprintf("v-%02d", i), nil))
		}
		dst := ts.MkAbs(args[0])
		ts.Check(os.MkdirAll(dst, 0o700))
		es, err := os.ReadDir(src)
		ts.Check(err)
		for _, e := range es {
			if filepath.Ext(e.Name()) == ".db-shm" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			ts.Check(err)
			ts.Check(os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
		}
	}
	// flipwal FILE flips one byte in the page of the frame a third of the
	// way into the -wal file FILE: damage with committed transactions
	// after it.
	scriptCmds["flipwal"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: flipwal FILE")
		}
		name := ts.MkAbs(args[0])
		wal, err := os.ReadFile(name)
		ts.Check(err)
		pageSize := int(binary.BigEndian.Uint32(wal[8:]))
		frames := (len(wal) - 32) / (24 + pageSize)
		if frames < 6 {
			ts.Fatalf("%s has %d frames", args[0], frames)
		}
		wal[32+(frames/3)*(24+pageSize)+24+pageSize/2] ^= 0x10
		ts.Check(os.WriteFile(name, wal, 0o600))
	}
}
