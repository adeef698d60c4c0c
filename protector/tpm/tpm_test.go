//go:build unix

package tpm

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/protector"
)

// TestTPMSelection: $SECURESTORE_TPM values that name no TPM make the
// protector unavailable, at once and with a reason; no TPM is needed.
func TestTPMSelection(t *testing.T) {
	for _, sel := range []string{"off", "bogus", "tcp:127.0.0.1:1", "/nonexistent/tpmrm0", "/dev/null"} {
		t.Run(sel, func(t *testing.T) {
			t.Setenv(EnvTPM, sel)
			start := time.Now()
			err := tpmProtector{}.Available(servicetest.Ctx(t, 5*time.Second))
			if !errors.Is(err, protector.ErrUnavailable) {
				t.Fatalf("Available = %v, want protector.ErrUnavailable", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if _, err := (tpmProtector{}).Unwrap(servicetest.Ctx(t, 5*time.Second), protector.Scope{Store: "app:a"}, sampleTPMBlob().encode()); !errors.Is(err, protector.ErrUnavailable) {
				t.Errorf("Unwrap = %v, want protector.ErrUnavailable", err)
			}
		})
	}
}

// TestTPMWrapUnwrap: with a real TPM (swtpm), a wrapped key unwraps to the
// same bytes, each wrap is a fresh sealed object, and the blob only opens
// for the store it was made for.
func TestTPMWrapUnwrap(t *testing.T) {
	servicetest.SharedTPM(t)
	p := tpmProtector{}
	ctx := servicetest.Ctx(t, 30*time.Second)
	if err := p.Available(ctx); err != nil {
		t.Fatalf("Available: %v", err)
	}
	a := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.a"}
	blob, err := p.Wrap(ctx, a, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	key, err := p.Unwrap(ctx, a, blob)
	if err != nil || !bytes.Equal(key, servicetest.DeviceKeyStandIn) {
		t.Fatalf("Unwrap = %x, %v", key, err)
	}
	blob2, err := p.Wrap(ctx, a, servicetest.DeviceKeyStandIn)
	if err != nil || bytes.Equal(blob, blob2) {
		t.Fatalf("a second Wrap must seal a fresh object: equal=%v err=%v", bytes.Equal(blob, blob2), err)
	}
	b := protector.Scope{Dir: a.Dir, Store: "app:com.example.b"}
	if key, err := p.Unwrap(ctx, b, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("Unwrap as another store = %x, %v; want protector.ErrKeyCorrupt", key, err)
	}
	if _, err := p.Unwrap(ctx, a, nil); !errors.Is(err, protector.ErrKeyMissing) {
		t.Fatalf("Unwrap of no blob = %v; want protector.ErrKeyMissing", err)
	}
}

// TestTPMAlteredBlob: a change to any byte of the blob (the sealed
// object's public or private area, the sealed device key) is
// protector.ErrKeyCorrupt, never another key and never a hang.
func TestTPMAlteredBlob(t *testing.T) {
	servicetest.SharedTPM(t)
	p := tpmProtector{}
	ctx := servicetest.Ctx(t, 2*time.Minute)
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.altered"}
	blob, err := p.Wrap(ctx, s, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	for i := range blob {
		b := bytes.Clone(blob)
		b[i] ^= 0x01
		key, err := p.Unwrap(ctx, s, b)
		if !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Fatalf("byte %d of %d flipped: Unwrap = %x, %v; want protector.ErrKeyCorrupt", i, len(blob), key, err)
		}
	}
	if key, err := p.Unwrap(ctx, s, blob); err != nil || !bytes.Equal(key, servicetest.DeviceKeyStandIn) {
		t.Fatalf("the original blob after all that: %x, %v", key, err)
	}
}

// TestTPMRSAParent: a blob sealed under the RSA primary key (the fallback
// for TPMs without P-256) unwraps.
func TestTPMRSAParent(t *testing.T) {
	servicetest.SharedTPM(t)
	ctx := servicetest.Ctx(t, 30*time.Second)
	tc, _, err := openTPM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kek := bytes.Repeat([]byte{1}, 32)
	b, err := sealTPM(tc, tpmParentRSA, kek)
	tc.Close()
	if err != nil {
		t.Fatalf("seal under RSA: %v", err)
	}
	tc, where, err := openTPM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	got, err := unsealTPM(ctx, tc, where, b)
	if err != nil || !bytes.Equal(got, kek) {
		t.Fatalf("unseal = %x, %v", got, err)
	}
}

// TestTPMStopped: with the TPM gone (swtpm killed), every call fails at
// once; once it is back, the blob made before unwraps to the same key.
func TestTPMStopped(t *testing.T) {
	sim := servicetest.StartSWTPM(t)
	servicetest.CheckStopped(t, tpmProtector{}, sim, protector.Scope{Dir: t.TempDir(), Store: "app:com.example.stopped"})
}

// TestTPMHung: a TPM that accepts the connection and never answers
// (swtpm stopped with SIGSTOP) costs the caller its deadline, not a hang.
// Not Wrap: swtpm has no resource manager, so on resuming it may still
// run each abandoned call's first command, a CreatePrimary whose key
// nobody flushes; two of those can leave too few of its three object
// slots for the Unwrap after it (TPM_RC_OBJECT_MEMORY). /dev/tpmrm0
// flushes them.
func TestTPMHung(t *testing.T) {
	sim := servicetest.StartSWTPM(t)
	servicetest.CheckHung(t, tpmProtector{}, sim, protector.Scope{Dir: t.TempDir(), Store: "app:com.example.hung"}, false)
}

// TestTPMCleared: after TPM2_Clear (a new owner seed, as when a TPM is
// reset in firmware), an old blob no longer loads: protector.ErrKeyCorrupt, never
// another key.
func TestTPMCleared(t *testing.T) {
	servicetest.StartSWTPM(t)
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.cleared"}
	ctx := servicetest.Ctx(t, 30*time.Second)
	blob, err := p.Wrap(ctx, s, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	tc, _, err := openTPM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpm2.Clear{AuthHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHLockout, Auth: tpm2.PasswordAuth(nil)}}.Execute(tc)
	tc.Close()
	if err != nil {
		t.Fatalf("TPM2_Clear: %v", err)
	}
	if key, err := p.Unwrap(ctx, s, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("Unwrap after TPM2_Clear = %x, %v; want protector.ErrKeyCorrupt", key, err)
	}
}

// TestTPMOwnerPassword: a TPM whose owner hierarchy has a password is
// unavailable, so that auto passes it by instead of choosing a protector
// whose Wrap would fail; without the password it is available again.
func TestTPMOwnerPassword(t *testing.T) {
	servicetest.StartSWTPM(t)
	ctx := servicetest.Ctx(t, 30*time.Second)
	if err := (tpmProtector{}).Available(ctx); err != nil {
		t.Fatalf("Available, no owner password: %v", err)
	}
	setOwnerAuth := func(old, new []byte) {
		t.Helper()
		tc, _, err := openTPM(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tc.Close()
		_, err = tpm2.HierarchyChangeAuth{
			AuthHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(old)},
			NewAuth:    tpm2.TPM2BAuth{Buffer: new},
		}.Execute(tc)
		if err != nil {
			t.Fatalf("TPM2_HierarchyChangeAuth: %v", err)
		}
	}
	setOwnerAuth(nil, []byte("owner password"))
	err := (tpmProtector{}).Available(ctx)
	if !errors.Is(err, protector.ErrUnavailable) || !strings.Contains(err.Error(), "password") {
		t.Fatalf("Available with an owner password = %v; want protector.ErrUnavailable naming the password", err)
	}
	setOwnerAuth([]byte("owner password"), nil)
	if err := (tpmProtector{}).Available(ctx); err != nil {
		t.Fatalf("Available, owner password removed: %v", err)
	}
}
