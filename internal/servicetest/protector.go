package servicetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/securestore-go/securestore/protector"
)

// The checks that protector packages run against their real key stores
// (secretservice, tpm) while a test breaks them.

// DeviceKeyStandIn stands for a device key in protector tests.
var DeviceKeyStandIn = bytes.Repeat([]byte{0x5a}, 32)

// Ctx returns a context with a deadline that tests assert is honoured.
func Ctx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Breakable is a private key store that a test can stop and hang:
// SecretService and SWTPM.
type Breakable interface {
	Stop()
	Start()
	Freeze()
	Thaw()
}

// WrapStandIn wraps DeviceKeyStandIn with p for s, failing the test on an
// error.
func WrapStandIn(t *testing.T, p protector.Protector, s protector.Scope) []byte {
	t.Helper()
	blob, err := p.Wrap(Ctx(t, 30*time.Second), s, DeviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	return blob
}

// CheckUnwrapsAgain asserts that blob, wrapped before svc broke, unwraps
// to the same key once svc is back.
func CheckUnwrapsAgain(t *testing.T, p protector.Protector, s protector.Scope, blob []byte, when string) {
	t.Helper()
	if key, err := p.Unwrap(Ctx(t, 30*time.Second), s, blob); err != nil || !bytes.Equal(key, DeviceKeyStandIn) {
		t.Fatalf("Unwrap after %s = %x, %v", when, key, err)
	}
}

// CheckStopped: with svc gone (killed), Available, Wrap and Unwrap fail at
// once with protector.ErrUnavailable; once it is back (same state), a blob made
// before unwraps to the same key.
func CheckStopped(t *testing.T, p protector.Protector, svc Breakable, s protector.Scope) {
	t.Helper()
	blob := WrapStandIn(t, p, s)
	svc.Stop()
	start := time.Now()
	if err := p.Available(Ctx(t, 5*time.Second)); !errors.Is(err, protector.ErrUnavailable) {
		t.Errorf("Available, %s stopped = %v", p.Name(), err)
	}
	if _, err := p.Wrap(Ctx(t, 5*time.Second), s, DeviceKeyStandIn); !errors.Is(err, protector.ErrUnavailable) {
		t.Errorf("Wrap, %s stopped = %v", p.Name(), err)
	}
	if key, err := p.Unwrap(Ctx(t, 5*time.Second), s, blob); !errors.Is(err, protector.ErrUnavailable) {
		t.Errorf("Unwrap, %s stopped = %x, %v", p.Name(), key, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failing took %v; a stopped service must fail at once", d)
	}
	svc.Start()
	CheckUnwrapsAgain(t, p, s, blob, "the service is back")
}

// CheckHung: a service that takes calls and never answers (SIGSTOP) costs
// Available, Unwrap and, with wrapToo, Wrap their deadline, not a hang,
// and the error is protector.ErrUnavailable naming the deadline; once it resumes, a
// blob made before unwraps to the same key.
func CheckHung(t *testing.T, p protector.Protector, svc Breakable, s protector.Scope, wrapToo bool) {
	t.Helper()
	blob := WrapStandIn(t, p, s)
	svc.Freeze()
	const deadline = 300 * time.Millisecond
	calls := map[string]func(context.Context) error{
		"Available": p.Available,
		"Unwrap":    func(ctx context.Context) error { _, err := p.Unwrap(ctx, s, blob); return err },
	}
	if wrapToo {
		calls["Wrap"] = func(ctx context.Context) error { _, err := p.Wrap(ctx, s, DeviceKeyStandIn); return err }
	}
	for name, call := range calls {
		start := time.Now()
		err := call(Ctx(t, deadline))
		if d := time.Since(start); d > deadline+time.Second {
			t.Errorf("%s on a hung %s took %v with a %v deadline", name, p.Name(), d, deadline)
		}
		if !errors.Is(err, protector.ErrUnavailable) || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("%s on a hung %s = %v, want protector.ErrUnavailable naming the deadline", name, p.Name(), err)
		}
	}
	svc.Thaw()
	CheckUnwrapsAgain(t, p, s, blob, "the service resumes")
}
