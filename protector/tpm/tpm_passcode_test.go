//go:build unix

package tpm

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/protector"
)

// Every test that tries a wrong passcode runs on a private swtpm: wrong
// passcodes count towards the TPM's dictionary-attack lockout, which would
// otherwise reach the other tests that share one simulator.

// testAuth is a passcode auth like the store's Argon2id output, with zero
// bytes inside and at the end, where TPM auth values are delicate
// (tpmAuthValue).
func testAuth(t *testing.T) []byte {
	t.Helper()
	auth := make([]byte, 32)
	if _, err := rand.Read(auth); err != nil {
		t.Fatal(err)
	}
	auth[3], auth[17], auth[31] = 0, 0, 0
	return auth
}

// TestTPMPasscodeBindUnseal: the secret comes back for the right auth
// only; a wrong auth is ErrWrongAuth, returns nothing and is counted by the
// TPM; each bind is a fresh secret; a blob opens only for its store.
func TestTPMPasscodeBindUnseal(t *testing.T) {
	servicetest.StartSWTPM(t)
	ctx := servicetest.Ctx(t, time.Minute)
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.passcode"}
	auth := testAuth(t)
	blob, secret, err := p.BindPasscode(ctx, s, auth)
	if err != nil {
		t.Fatalf("BindPasscode: %v", err)
	}
	if len(secret) != 32 || bytes.Equal(secret, make([]byte, 32)) {
		t.Fatalf("BindPasscode's secret = %x", secret)
	}
	if bytes.Contains(blob, secret) {
		t.Fatal("the blob holds the secret in clear")
	}
	got, err := p.UnsealPasscode(ctx, s, blob, auth)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("UnsealPasscode, right auth = %x, %v; want %x", got, err, secret)
	}

	before := readDAState(t, ctx).failed
	wrong := bytes.Clone(auth)
	wrong[0] ^= 1
	got, err = p.UnsealPasscode(ctx, s, blob, wrong)
	if !errors.Is(err, protector.ErrWrongAuth) || got != nil {
		t.Fatalf("UnsealPasscode, wrong auth = %x, %v; want nil, protector.ErrWrongAuth", got, err)
	}
	if after := readDAState(t, ctx).failed; after != before+1 {
		t.Fatalf("the TPM's failure count went from %d to %d on a wrong auth; want +1", before, after)
	}
	if got, err := p.UnsealPasscode(ctx, s, blob, auth); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("UnsealPasscode, right auth after a wrong one = %x, %v", got, err)
	}

	blob2, secret2, err := p.BindPasscode(ctx, s, auth)
	if err != nil || bytes.Equal(secret2, secret) || bytes.Equal(blob2, blob) {
		t.Fatalf("a second BindPasscode must seal a fresh secret: same secret=%v same blob=%v err=%v",
			bytes.Equal(secret2, secret), bytes.Equal(blob2, blob), err)
	}

	other := protector.Scope{Dir: s.Dir, Store: "app:com.example.other"}
	if got, err := p.UnsealPasscode(ctx, other, blob, auth); !errors.Is(err, protector.ErrKeyCorrupt) || got != nil {
		t.Fatalf("UnsealPasscode as another store = %x, %v; want protector.ErrKeyCorrupt", got, err)
	}
	if _, err := p.UnsealPasscode(ctx, s, nil, auth); !errors.Is(err, protector.ErrKeyMissing) {
		t.Fatalf("UnsealPasscode of no blob = %v; want protector.ErrKeyMissing", err)
	}
	deviceKeyBlob, err := p.Wrap(ctx, s, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UnsealPasscode(ctx, s, deviceKeyBlob, auth); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("UnsealPasscode of a device key blob = %v; want protector.ErrKeyCorrupt", err)
	}
	if _, err := p.Unwrap(ctx, s, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("Unwrap of a passcode blob = %v; want protector.ErrKeyCorrupt", err)
	}
	if _, _, err := p.BindPasscode(ctx, s, nil); err == nil {
		t.Fatal("BindPasscode with no auth succeeded")
	}
}

// TestTPMPasscodeAlteredBlob: a change to any byte of the blob is
// protector.ErrKeyCorrupt (the TPM refuses to load the object), never a
// secret, and never counted as a wrong passcode.
func TestTPMPasscodeAlteredBlob(t *testing.T) {
	servicetest.StartSWTPM(t)
	ctx := servicetest.Ctx(t, 2*time.Minute)
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.altered"}
	auth := testAuth(t)
	blob, secret, err := p.BindPasscode(ctx, s, auth)
	if err != nil {
		t.Fatalf("BindPasscode: %v", err)
	}
	for i := range blob {
		b := bytes.Clone(blob)
		b[i] ^= 0x01
		got, err := p.UnsealPasscode(ctx, s, b, auth)
		if !errors.Is(err, protector.ErrKeyCorrupt) || got != nil {
			t.Fatalf("byte %d of %d flipped: UnsealPasscode = %x, %v; want protector.ErrKeyCorrupt", i, len(blob), got, err)
		}
	}
	if got, err := p.UnsealPasscode(ctx, s, append(bytes.Clone(blob), 0), auth); !errors.Is(err, protector.ErrKeyCorrupt) || got != nil {
		t.Fatalf("a byte appended: UnsealPasscode = %x, %v; want protector.ErrKeyCorrupt", got, err)
	}
	if n := readDAState(t, ctx).failed; n != 0 {
		t.Fatalf("altered blobs counted %d wrong passcodes", n)
	}
	if got, err := p.UnsealPasscode(ctx, s, blob, auth); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("the original blob after all that: %x, %v", got, err)
	}
}

// TestTPMPasscodeLockout: after maxTries wrong passcodes the TPM refuses
// every attempt, the right one too, with protector.ErrLockedOut, and
// releases nothing; TPM2_DictionaryAttackLockReset with the lockout
// hierarchy's auth ends the lockout, and the right passcode works again.
// The recovery time is set long so that no failure expires during the
// test: recovery by time is the TPM's own clock, not tested here.
func TestTPMPasscodeLockout(t *testing.T) {
	servicetest.StartSWTPM(t)
	ctx := servicetest.Ctx(t, time.Minute)
	const maxTries = 3
	setDAParameters(t, ctx, daState{maxTries: maxTries, recoveryTime: 3600, lockoutRecovery: 3600})
	if s := readDAState(t, ctx); s.maxTries != maxTries || s.failed != 0 {
		t.Fatalf("DA state after TPM2_DictionaryAttackParameters: %+v", s)
	}
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.lockout"}
	auth := testAuth(t)
	blob, secret, err := p.BindPasscode(ctx, s, auth)
	if err != nil {
		t.Fatalf("BindPasscode: %v", err)
	}
	for i := 0; i < maxTries; i++ {
		wrong := bytes.Clone(auth)
		wrong[1] ^= byte(i + 1)
		got, err := p.UnsealPasscode(ctx, s, blob, wrong)
		if !errors.Is(err, protector.ErrWrongAuth) || got != nil {
			t.Fatalf("wrong passcode %d of %d: %x, %v; want protector.ErrWrongAuth", i+1, maxTries, got, err)
		}
	}
	if n := readDAState(t, ctx).failed; n != maxTries {
		t.Fatalf("the TPM counted %d failures; want %d", n, maxTries)
	}
	for _, a := range [][]byte{auth, bytes.Repeat([]byte{7}, 32)} {
		got, err := p.UnsealPasscode(ctx, s, blob, a)
		if !errors.Is(err, protector.ErrLockedOut) || got != nil {
			t.Fatalf("in lockout, UnsealPasscode = %x, %v; want nil, protector.ErrLockedOut", got, err)
		}
	}
	// The lockout refuses passcodes only: the device key's sealed object
	// (noDA) still opens, so a store without a passcode is unaffected.
	wrapped, err := p.Wrap(ctx, s, servicetest.DeviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap in lockout: %v", err)
	}
	if key, err := p.Unwrap(ctx, s, wrapped); err != nil || !bytes.Equal(key, servicetest.DeviceKeyStandIn) {
		t.Fatalf("Unwrap in lockout = %x, %v", key, err)
	}

	resetDALockout(t, ctx)
	if n := readDAState(t, ctx).failed; n != 0 {
		t.Fatalf("after TPM2_DictionaryAttackLockReset the TPM counts %d failures", n)
	}
	if got, err := p.UnsealPasscode(ctx, s, blob, auth); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("UnsealPasscode after the reset = %x, %v", got, err)
	}
}

// TestTPMPasscodeShared: on the TPM the whole test run shares, the right
// passcode unseals (no wrong one is tried here; see above).
func TestTPMPasscodeShared(t *testing.T) {
	servicetest.SharedTPM(t)
	ctx := servicetest.Ctx(t, 30*time.Second)
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.shared"}
	auth := testAuth(t)
	blob, secret, err := p.BindPasscode(ctx, s, auth)
	if err != nil {
		t.Fatalf("BindPasscode: %v", err)
	}
	if got, err := p.UnsealPasscode(ctx, s, blob, auth); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("UnsealPasscode = %x, %v", got, err)
	}
}
