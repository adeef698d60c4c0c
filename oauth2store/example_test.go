package oauth2store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/oauth2store"
	"golang.org/x/oauth2"
)

// A command-line program logs in once; later runs (here: the store closed
// and opened again) use the stored token, and refresh it when it expires.
func Example() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "oauth2store-example")
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "store") // leave Dir empty to use the per-user default

	conf := &oauth2.Config{
		ClientID: "example-cli",
		Endpoint: oauth2.Endpoint{
			AuthURL:  "https://auth.example.com/authorize",
			TokenURL: "https://auth.example.com/token",
		},
		Scopes: []string{"read"},
	}

	run := func(n int) {
		// Tokens outgrow the default 2048 bytes: allow 8 KiB.
		s, err := securestore.Open(ctx, securestore.Config{App: "com.example.cli", Dir: dir, MaxValueBytes: 8192})
		if err != nil {
			log.Fatal(err)
		}
		defer s.Close()
		ts := oauth2store.New(ctx, s, "token", conf, &oauth2store.Options{LockDir: dir})

		tok, err := ts.Token()
		if errors.Is(err, oauth2store.ErrNoToken) {
			fmt.Printf("run %d: logging in\n", n)
			// A real program logs in here: conf.AuthCodeURL, then
			// conf.Exchange, or conf.DeviceAuth and conf.DeviceAccessToken.
			tok = &oauth2.Token{AccessToken: "access-1", RefreshToken: "refresh-1", Expiry: time.Now().Add(time.Hour)}
			err = ts.Save(tok)
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("run %d: token %s, valid %v\n", n, tok.AccessToken, tok.Valid())
		// Use it: oauth2.NewClient(ctx, ts) sends it, refreshing as needed.
		_ = oauth2.NewClient(ctx, ts)
	}
	run(1)
	run(2) // a restart: no login, no request to the token endpoint
	run(3)
	// Output:
	// run 1: logging in
	// run 1: token access-1, valid true
	// run 2: token access-1, valid true
	// run 3: token access-1, valid true
}
