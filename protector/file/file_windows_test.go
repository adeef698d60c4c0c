package file

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/protector"
)

// TestFileProtectorOnWindows: the file protector round-trips and refuses a
// key file whose machine check fails, on Windows too.
func TestFileProtectorOnWindows(t *testing.T) {
	scope := protector.Scope{Dir: testdir.New(t), Store: "app:x"}
	key := bytes.Repeat([]byte{3}, 32)
	blob, err := fileProtector{}.Wrap(context.Background(), scope, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fileProtector{}.Unwrap(context.Background(), scope, blob)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Unwrap = %v", err)
	}
	kf, err := loadKeyFile(scope.Dir)
	if err != nil || kf.binding != "machine-guid" {
		t.Fatalf("key file binding = %v, %v", kf, err)
	}
	if _, err := (fileProtector{}).Unwrap(context.Background(), protector.Scope{Dir: scope.Dir, Store: "app:y"}, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("Unwrap as another store: %v", err)
	}
}
