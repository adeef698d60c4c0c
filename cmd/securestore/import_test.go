package main

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential/docker"
	"github.com/securestore-go/securestore/cmd/internal/credential/git"
)

// The import scripts check what was imported the way the helpers will
// read it: two script commands answer as the helpers do, from the same
// store ($SECURESTORE_DIR) through the same code.
func init() {
	// gitcredential REQUEST-FILE [APP] prints what
	// git-credential-securestore get answers to the request in the file.
	scriptCmds["gitcredential"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 1 || len(args) > 2 {
			ts.Fatalf("usage: gitcredential REQUEST-FILE [APP]")
		}
		app := git.DefaultApp
		if len(args) == 2 {
			app = args[1]
		}
		req, err := git.ParseRequest(strings.NewReader(ts.ReadFile(args[0])))
		ts.Check(err)
		s := openForScript(ts, app)
		defer s.Close()
		var out strings.Builder
		ts.Check((&git.Helper{Items: s, App: app}).Get(context.Background(), &req, &out))
		ts.Stdout().Write([]byte(out.String()))
	}
	// dockercredential SERVER-URL prints what docker-credential-securestore
	// get answers for the server URL.
	scriptCmds["dockercredential"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: dockercredential SERVER-URL")
		}
		s := openForScript(ts, docker.App)
		defer s.Close()
		c, err := (&docker.Helper{Items: s}).Get(context.Background(), args[0])
		ts.Check(err)
		ts.Check(json.NewEncoder(ts.Stdout()).Encode(c))
	}
}

func openForScript(ts *testscript.TestScript, app string) *securestore.Store {
	s, err := securestore.Open(context.Background(), securestore.Config{
		App: app, Dir: ts.Getenv("SECURESTORE_DIR"), Protector: ts.Getenv("SECURESTORE_PROTECTOR"),
	})
	ts.Check(err)
	return s
}
