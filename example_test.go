package securestore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/securestore-go/securestore"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "securestore-example") // leave Dir empty to use the per-user default
	defer os.RemoveAll(dir)

	s, err := securestore.Open(ctx, securestore.Config{App: "com.example.notes", Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	if err := s.SetItem(ctx, "token", "s3cret", nil); err != nil {
		log.Fatal(err)
	}
	token, err := s.GetItem(ctx, "token", nil)
	fmt.Println(token, err)

	// An item set with a service is found only under that service.
	opts := &securestore.Options{KeychainService: "sync", KeychainAccessible: securestore.AfterFirstUnlock}
	_ = s.SetItem(ctx, "token", "other", opts)
	_ = s.DeleteItem(ctx, "token", nil)

	_, err = s.GetItem(ctx, "token", nil)
	fmt.Println(errors.Is(err, securestore.ErrNotFound)) // Expo's null
	keys, _ := s.Keys(ctx, opts)
	fmt.Println(keys)
	// Output:
	// s3cret <nil>
	// true
	// [token]
}
