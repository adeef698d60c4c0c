//go:build unix

package tpm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/protector"
)

// createTestCounter creates a counter and removes it when the test ends,
// so that the shared TPM's NV memory does not fill up.
func createTestCounter(t *testing.T, p tpmProtector, s protector.Scope) []byte {
	t.Helper()
	blob, err := p.CreateCounter(servicetest.Ctx(t, 30*time.Second), s)
	if err != nil {
		t.Fatalf("CreateCounter: %v", err)
	}
	t.Cleanup(func() { p.RemoveCounter(servicetest.Ctx(t, 30*time.Second), s, blob) })
	return blob
}

// TestTPMCounter: a counter reads what it was incremented to, each
// increment adds exactly one, counters are independent, and a blob that
// names another index, a gone index or carries a wrong auth value is an
// error, never a value.
func TestTPMCounter(t *testing.T) {
	servicetest.SharedTPM(t)
	ctx := servicetest.Ctx(t, time.Minute)
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.counter"}
	a := createTestCounter(t, p, s)
	b := createTestCounter(t, p, s)
	if bytes.Equal(a[1:5], b[1:5]) {
		t.Fatalf("two counters at one NV index %x", a[1:5])
	}
	v, err := p.ReadCounter(ctx, s, a)
	if err != nil || v == 0 {
		t.Fatalf("ReadCounter of a new counter = %d, %v; want > 0 (it was incremented once)", v, err)
	}
	bBefore, err := p.ReadCounter(ctx, s, b)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		n, err := p.IncrementCounter(ctx, s, a)
		if err != nil || n != v+1 {
			t.Fatalf("IncrementCounter from %d = %d, %v; want %d", v, n, err, v+1)
		}
		v = n
	}
	if got, err := p.ReadCounter(ctx, s, a); err != nil || got != v {
		t.Fatalf("ReadCounter after the increments = %d, %v; want %d", got, err, v)
	}
	if got, err := p.ReadCounter(ctx, s, b); err != nil || got != bBefore {
		t.Fatalf("the other counter moved: %d, %v; want %d", got, err, bBefore)
	}

	// a's name and auth value with b's index: not a's counter.
	swapped := bytes.Clone(a)
	copy(swapped[1:5], b[1:5])
	if got, err := p.ReadCounter(ctx, s, swapped); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("ReadCounter of a blob naming another index = %d, %v; want protector.ErrKeyCorrupt", got, err)
	}
	if got, err := p.IncrementCounter(ctx, s, swapped); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("IncrementCounter of a blob naming another index = %d, %v; want protector.ErrKeyCorrupt", got, err)
	}
	if got, _ := p.ReadCounter(ctx, s, b); got != bBefore {
		t.Fatalf("a blob naming another index moved that counter: %d; want %d", got, bBefore)
	}
	wrongAuth := bytes.Clone(a)
	wrongAuth[len(wrongAuth)-1] ^= 1
	if got, err := p.IncrementCounter(ctx, s, wrongAuth); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("IncrementCounter with a wrong auth value = %d, %v; want protector.ErrKeyCorrupt", got, err)
	}
	for _, bad := range [][]byte{{'C'}, a[:len(a)-1], append(bytes.Clone(a), 0), {'P', 1, 2, 3, 4}} {
		if _, err := p.ReadCounter(ctx, s, bad); !errors.Is(err, protector.ErrKeyCorrupt) {
			t.Fatalf("ReadCounter of %x = %v; want protector.ErrKeyCorrupt", bad, err)
		}
	}
	if _, err := p.ReadCounter(ctx, s, nil); !errors.Is(err, protector.ErrKeyMissing) {
		t.Fatalf("ReadCounter of no blob = %v; want protector.ErrKeyMissing", err)
	}

	if err := p.RemoveCounter(ctx, s, a); err != nil {
		t.Fatalf("RemoveCounter: %v", err)
	}
	if got, err := p.ReadCounter(ctx, s, a); !errors.Is(err, protector.ErrKeyMissing) {
		t.Fatalf("ReadCounter of a removed counter = %d, %v; want protector.ErrKeyMissing", got, err)
	}
	if err := p.RemoveCounter(ctx, s, a); err != nil {
		t.Fatalf("RemoveCounter of a removed counter: %v", err)
	}
	if err := p.RemoveCounter(ctx, s, swapped); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("RemoveCounter of a blob naming another index = %v; want protector.ErrKeyCorrupt", err)
	}
	if got, err := p.ReadCounter(ctx, s, b); err != nil || got != bBefore {
		t.Fatalf("the other counter after all that: %d, %v; want %d", got, err, bBefore)
	}
}

// TestTPMCounterRedefined: an index undefined and defined again at the
// same handle, with the same attributes (the same name once written), as
// anyone with the owner's auth could, refuses the old blob, and starts
// above the old counter's value: a counter cannot be wound back.
func TestTPMCounterRedefined(t *testing.T) {
	servicetest.StartSWTPM(t)
	ctx := servicetest.Ctx(t, time.Minute)
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.redefined"}
	blob := createTestCounter(t, p, s)
	v, err := p.IncrementCounter(ctx, s, blob)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RemoveCounter(ctx, s, blob); err != nil {
		t.Fatal(err)
	}
	index := tpm2.TPMHandle(binary.BigEndian.Uint32(blob[1:]))
	attacker := &tpmCounter{index: index, auth: bytes.Repeat([]byte{'a'}, 32)}
	tc, where, err := openTPM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close() // swtpm serves one connection at a time: closed below
	_, err = tpm2.NVDefineSpace{
		AuthHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
		Auth:       tpm2.TPM2BAuth{Buffer: attacker.auth},
		PublicInfo: tpm2.New2B(tpm2.TPMSNVPublic{
			NVIndex: index, NameAlg: tpm2.TPMAlgSHA256, DataSize: 8,
			Attributes: tpm2.TPMANV{NT: tpm2.TPMNTCounter, AuthWrite: true, AuthRead: true, NoDA: true},
		}),
	}.Execute(tc)
	if err != nil {
		t.Fatalf("define the index again: %v", err)
	}
	if attacker.name, err = nvName(ctx, tc, where, index); err != nil {
		t.Fatal(err)
	}
	if err := bumpCounter(ctx, tc, where, attacker); err != nil {
		t.Fatal(err)
	}
	if attacker.name, err = nvName(ctx, tc, where, index); err != nil {
		t.Fatal(err)
	}
	fresh, err := readCounter(ctx, tc, where, attacker)
	if err != nil {
		t.Fatal(err)
	}
	if old, _ := parseCounterBlob(blob); !bytes.Equal(attacker.name, old.name) {
		t.Fatalf("the index defined again has another name; this test wants the same one")
	}
	tc.Close()
	if fresh <= v {
		t.Fatalf("a counter defined again starts at %d, not above the old one's %d", fresh, v)
	}
	if got, err := p.ReadCounter(ctx, s, blob); !errors.Is(err, protector.ErrKeyCorrupt) {
		t.Fatalf("ReadCounter of the old blob = %d, %v; want protector.ErrKeyCorrupt", got, err)
	}
}

// TestTPMCounterSurvivesRestart: a counter keeps its value across a crash
// of the TPM (swtpm killed and started again on its saved state), and goes
// on from there.
func TestTPMCounterSurvivesRestart(t *testing.T) {
	sim := servicetest.StartSWTPM(t)
	ctx := servicetest.Ctx(t, time.Minute)
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.restart"}
	blob := createTestCounter(t, p, s)
	v, err := p.IncrementCounter(ctx, s, blob)
	if err != nil {
		t.Fatal(err)
	}
	sim.Stop()
	if _, err := p.ReadCounter(ctx, s, blob); !errors.Is(err, protector.ErrUnavailable) {
		t.Fatalf("ReadCounter with the TPM stopped = %v; want protector.ErrUnavailable", err)
	}
	sim.Start()
	if got, err := p.ReadCounter(ctx, s, blob); err != nil || got != v {
		t.Fatalf("ReadCounter after the restart = %d, %v; want %d", got, err, v)
	}
	if got, err := p.IncrementCounter(ctx, s, blob); err != nil || got != v+1 {
		t.Fatalf("IncrementCounter after the restart = %d, %v; want %d", got, err, v+1)
	}
}

// TestTPMPasscodeAndCounterHung: with a TPM that accepts the connection
// and never answers (swtpm stopped with SIGSTOP), UnsealPasscode and the
// counter's calls return at their deadline with protector.ErrUnavailable.
func TestTPMPasscodeAndCounterHung(t *testing.T) {
	sim := servicetest.StartSWTPM(t)
	ctx := servicetest.Ctx(t, time.Minute)
	p := tpmProtector{}
	s := protector.Scope{Dir: t.TempDir(), Store: "app:com.example.hung"}
	auth := testAuth(t)
	blob, _, err := p.BindPasscode(ctx, s, auth)
	if err != nil {
		t.Fatal(err)
	}
	counter := createTestCounter(t, p, s)
	sim.Freeze()
	defer sim.Thaw()
	short := func() context.Context { return servicetest.Ctx(t, 300*time.Millisecond) }
	if got, err := p.UnsealPasscode(short(), s, blob, auth); !errors.Is(err, protector.ErrUnavailable) || got != nil {
		t.Fatalf("UnsealPasscode on a hung TPM = %x, %v; want protector.ErrUnavailable", got, err)
	}
	if _, err := p.ReadCounter(short(), s, counter); !errors.Is(err, protector.ErrUnavailable) {
		t.Fatalf("ReadCounter on a hung TPM = %v; want protector.ErrUnavailable", err)
	}
	if _, err := p.IncrementCounter(short(), s, counter); !errors.Is(err, protector.ErrUnavailable) {
		t.Fatalf("IncrementCounter on a hung TPM = %v; want protector.ErrUnavailable", err)
	}
}
