//go:build unix

package securestore_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/internal/testonly"
)

// TestTPMRollbackDetected: with the tpm protector, the store's epoch is
// anchored in a TPM NV counter. On a real (private) swtpm, a copy of the
// store's files taken before a later session wrote, put back in place,
// is refused with ErrCorrupt; the current files open, session after
// session (the TPM's counter starts at 1, not 0: no false alarm).
func TestTPMRollbackDetected(t *testing.T) {
	servicetest.StartSWTPM(t)
	ctx := testonly.WithCheapKDFs(servicetest.Ctx(t, 2*time.Minute))
	dir := filepath.Join(t.TempDir(), "store")
	cfg := securestore.Config{App: "com.example.rollback", Dir: dir, Protector: "tpm"}
	session := func(value string) {
		t.Helper()
		s, err := securestore.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("Open of the current store: %v", err)
		}
		defer s.Close()
		if err := s.SetItem(ctx, "token", value, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetItem(ctx, "token", nil); err != nil || got != value {
			t.Fatalf("GetItem = %q, %v; want %q", got, err, value)
		}
	}
	session("first")
	session("second")
	old := filepath.Join(t.TempDir(), "old")
	copyFiles(t, dir, old) // the backup an attacker keeps
	session("third")
	session("fourth")

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	copyFiles(t, old, dir)
	s, err := securestore.Open(ctx, cfg)
	if err == nil {
		got, gerr := s.GetItem(ctx, "token", nil)
		s.Close()
		t.Fatalf("Open of the rolled-back store succeeded (GetItem = %q, %v); want ErrCorrupt", got, gerr)
	}
	if !errors.Is(err, securestore.ErrCorrupt) {
		t.Fatalf("Open of the rolled-back store: %v; want ErrCorrupt", err)
	}
}
