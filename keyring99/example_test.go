package keyring99_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	// Was: "github.com/99designs/keyring". Nothing else changes.
	keyring "github.com/securestore-go/securestore/keyring99"
)

func Example() {
	// Only for the example: a store in a scratch directory under the file
	// protector. A program leaves this out and gets the per-user store
	// under the best protector available.
	dir, _ := os.MkdirTemp("", "keyring99-example")
	defer os.RemoveAll(dir)
	os.Setenv("SECURESTORE_DIR", filepath.Join(dir, "store"))
	os.Setenv("SECURESTORE_PROTECTOR", "file")

	// 99designs/keyring code, unchanged.
	kr, err := keyring.Open(keyring.Config{ServiceName: "my-service"})
	if err != nil {
		log.Fatal(err)
	}
	_ = kr.Set(keyring.Item{Key: "llamas", Data: []byte("llamas are great"), Label: "Llamas"})
	it, err := kr.Get("llamas")
	fmt.Printf("%s %s %v\n", it.Data, it.Label, err)
	keys, _ := kr.Keys()
	fmt.Println(keys)
	_ = kr.Remove("llamas")
	_, err = kr.Get("llamas")
	fmt.Println(err == keyring.ErrKeyNotFound)
	// Output:
	// llamas are great Llamas <nil>
	// [llamas]
	// true
}
