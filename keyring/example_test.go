package keyring_test

import (
	"fmt"
	"log"
	"os"

	// Was: "github.com/zalando/go-keyring". Nothing else changes.
	"github.com/securestore-go/securestore/keyring"
)

func Example() {
	// Only for the example: a store in a scratch directory under the file
	// protector. A program leaves this out and gets the per-user store
	// under the best protector available.
	dir, _ := os.MkdirTemp("", "keyring-example")
	defer os.RemoveAll(dir)
	if err := keyring.Configure(keyring.Config{Dir: dir, Protector: "file"}); err != nil {
		log.Fatal(err)
	}
	defer keyring.Configure(keyring.Config{})

	// go-keyring code, unchanged.
	if err := keyring.Set("my-app", "anon@example.com", "s3cret"); err != nil {
		log.Fatal(err)
	}
	secret, err := keyring.Get("my-app", "anon@example.com")
	fmt.Println(secret, err)
	users, _ := keyring.ListUsers("my-app")
	fmt.Println(users)
	_ = keyring.Delete("my-app", "anon@example.com")
	_, err = keyring.Get("my-app", "anon@example.com")
	fmt.Println(err == keyring.ErrNotFound)
	// Output:
	// s3cret <nil>
	// [anon@example.com]
	// true
}
