// Package credtest holds what the credential helpers' testscript tests
// share: script commands that act on a store the way a user would with the
// securestore CLI, without building it.
package credtest

import (
	"context"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/securestore-go/securestore"
)

// SetPasscode is the script command "setpasscode APP PASSCODE": it gives
// the store of APP (in $SECURESTORE_DIR, with $SECURESTORE_PROTECTOR) a
// passcode, as "securestore --app APP passcode set" would. A helper
// process that opens the store afterwards finds it locked.
func SetPasscode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setpasscode APP PASSCODE")
	}
	s, err := securestore.Open(context.Background(), securestore.Config{
		App: args[0], Dir: ts.Getenv("SECURESTORE_DIR"), Protector: ts.Getenv("SECURESTORE_PROTECTOR"),
	})
	ts.Check(err)
	defer s.Close()
	ts.Check(s.SetPasscode(context.Background(), nil, []byte(args[1])))
}
