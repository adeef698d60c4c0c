package protector

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/securestore-go/securestore/internal/testdir"
)

// TestMachineGUID: the file protector binds its key file to the registry's
// MachineGuid, which Windows (and Wine's wineboot) writes once per
// installation. A key file bound to "none" would open anywhere.
func TestMachineGUID(t *testing.T) {
	binding, id := currentMachineID()
	if binding != "machine-guid" || len(id) == 0 {
		t.Fatalf("machine identity = %q (%d bytes), want machine-guid", binding, len(id))
	}
	again, err := readMachineID(binding)
	if err != nil || !bytes.Equal(again, id) {
		t.Fatalf("reading machine-guid again = %q, %v", again, err)
	}
}

// TestFileProtectorOnWindows: the file protector round-trips and refuses a
// key file whose machine check fails, on Windows too.
func TestFileProtectorOnWindows(t *testing.T) {
	scope := Scope{Dir: testdir.New(t), Store: "app:x"}
	key := bytes.Repeat([]byte{3}, 32)
	blob, err := File{}.Wrap(context.Background(), scope, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := File{}.Unwrap(context.Background(), scope, blob)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Unwrap = %v", err)
	}
	kf, err := loadKeyFile(scope.Dir)
	if err != nil || kf.binding != "machine-guid" {
		t.Fatalf("key file binding = %v, %v", kf, err)
	}
	if _, err := (File{}).Unwrap(context.Background(), Scope{Dir: scope.Dir, Store: "app:y"}, blob); !errors.Is(err, ErrKeyCorrupt) {
		t.Fatalf("Unwrap as another store: %v", err)
	}
}
