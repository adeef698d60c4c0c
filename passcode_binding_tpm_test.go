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
	"github.com/securestore-go/securestore/protector"
)

// TestTPMPasscodeBinding: a passcode set on a tpm store is bound to the
// TPM. On a private swtpm (wrong passcodes count towards its lockout, which
// must not reach the simulator the other tests share):
//   - every wrong Unlock, on the store or on a copy of its files on the same
//     machine, raises the TPM's own failure counter;
//   - after the TPM's maxTries failures, the right passcode gets ErrLocked
//     wrapping protector.ErrLockedOut, and the store stays locked;
//   - after the lockout is reset (TPM2_DictionaryAttackLockReset, what
//     `tpm2_dictionarylockout --clear-lockout` sends), the right passcode
//     unlocks the store and its copy;
//   - with the TPM gone, even a process that holds the device key cannot
//     tell a right passcode from a wrong one.
func TestTPMPasscodeBinding(t *testing.T) {
	sim := servicetest.StartSWTPM(t)
	const maxTries = 3
	sim.SetDAParameters(maxTries, 3600, 3600)
	ctx := testonly.WithCheapKDFs(servicetest.Ctx(t, 2*time.Minute))
	dir := filepath.Join(t.TempDir(), "store")
	open := func(dir string) *securestore.Store {
		t.Helper()
		s, err := securestore.Open(ctx, securestore.Config{App: "com.example.tpmpin", Dir: dir, Protector: "tpm"})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	wu := &securestore.Options{KeychainAccessible: securestore.WhenUnlocked}
	s := open(dir)
	if err := s.SetItem(ctx, "pin-protected", "v", wu); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatalf("SetPasscode on a tpm store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The backup thief's copy, on the same machine.
	copyDir := filepath.Join(t.TempDir(), "copy")
	copyFiles(t, dir, copyDir)
	s, c := open(dir), open(copyDir)
	if n := sim.DAFailures(); n != 0 {
		t.Fatalf("the TPM counts %d failures before any guess", n)
	}

	guess := func(st *securestore.Store, pc string, wantFailures uint32) {
		t.Helper()
		if err := st.Unlock(ctx, []byte(pc)); !errors.Is(err, securestore.ErrWrongPasscode) {
			t.Fatalf("Unlock(%s) = %v; want ErrWrongPasscode", pc, err)
		}
		if n := sim.DAFailures(); n != wantFailures {
			t.Fatalf("after a wrong passcode the TPM counts %d failures; want %d", n, wantFailures)
		}
	}
	guess(s, "0000", 1)
	guess(c, "1111", 2) // a guess on the copy is the TPM's to check, and to count

	guess(s, "2222", maxTries)
	for _, st := range []*securestore.Store{c, s} {
		err := st.Unlock(ctx, []byte("1234"))
		if !errors.Is(err, securestore.ErrLocked) || !errors.Is(err, protector.ErrLockedOut) || errors.Is(err, securestore.ErrWrongPasscode) {
			t.Fatalf("the right passcode in the TPM's lockout = %v; want ErrLocked wrapping protector.ErrLockedOut", err)
		}
		if !st.Locked() {
			t.Fatal("the store unlocked during the TPM's lockout")
		}
		t.Logf("in lockout, Unlock says: %v", err)
	}

	sim.ResetDALockout()
	if n := sim.DAFailures(); n != 0 {
		t.Fatalf("after the lockout's reset the TPM counts %d failures", n)
	}
	for _, st := range []*securestore.Store{s, c} {
		if err := st.Unlock(ctx, []byte("1234")); err != nil {
			t.Fatalf("the right passcode after the lockout's reset: %v", err)
		}
		if v, err := st.GetItem(ctx, "pin-protected", wu); err != nil || v != "v" {
			t.Fatalf("GetItem after Unlock = %q, %v", v, err)
		}
	}

	// Without the TPM, a right and a wrong passcode fail alike: the device
	// key, which this process holds, is not enough to check a guess.
	c.Lock()
	sim.Stop()
	for _, pc := range []string{"1234", "5555"} {
		err := c.Unlock(ctx, []byte(pc))
		if !errors.Is(err, protector.ErrUnavailable) || errors.Is(err, securestore.ErrWrongPasscode) {
			t.Fatalf("Unlock(%s) with the TPM stopped = %v; want protector.ErrUnavailable and no verdict", pc, err)
		}
	}
	sim.Start()
	// A TPM that was not shut down in order counts that as one more
	// failure when it starts (TPM 2.0 Part 1, dictionary attack
	// protection); reset it rather than depend on it.
	sim.ResetDALockout()
	if err := c.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatalf("the right passcode with the TPM back: %v", err)
	}
}

func copyFiles(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
