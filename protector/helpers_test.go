//go:build unix

package protector

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// deviceKeyStandIn stands for a device key in protector tests.
var deviceKeyStandIn = bytes.Repeat([]byte{0x5a}, 32)

// ctxFor returns a context with a deadline that tests assert is honoured.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// breakable is a private key store that a test can stop and hang:
// servicetest.SecretService and servicetest.SWTPM.
type breakable interface {
	Stop()
	Start()
	Freeze()
	Thaw()
}

// wrapStandIn wraps deviceKeyStandIn with p for s, failing the test on an
// error.
func wrapStandIn(t *testing.T, p Protector, s Scope) []byte {
	t.Helper()
	blob, err := p.Wrap(ctxFor(t, 30*time.Second), s, deviceKeyStandIn)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	return blob
}

// checkUnwrapsAgain asserts that blob, wrapped before svc broke, unwraps
// to the same key once svc is back.
func checkUnwrapsAgain(t *testing.T, p Protector, s Scope, blob []byte, when string) {
	t.Helper()
	if key, err := p.Unwrap(ctxFor(t, 30*time.Second), s, blob); err != nil || !bytes.Equal(key, deviceKeyStandIn) {
		t.Fatalf("Unwrap after %s = %x, %v", when, key, err)
	}
}

// checkStopped: with svc gone (killed), Available, Wrap and Unwrap fail at
// once with ErrUnavailable; once it is back (same state), a blob made
// before unwraps to the same key.
func checkStopped(t *testing.T, p Protector, svc breakable, s Scope) {
	t.Helper()
	blob := wrapStandIn(t, p, s)
	svc.Stop()
	start := time.Now()
	if err := p.Available(ctxFor(t, 5*time.Second)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Available, %s stopped = %v", p.Name(), err)
	}
	if _, err := p.Wrap(ctxFor(t, 5*time.Second), s, deviceKeyStandIn); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Wrap, %s stopped = %v", p.Name(), err)
	}
	if key, err := p.Unwrap(ctxFor(t, 5*time.Second), s, blob); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Unwrap, %s stopped = %x, %v", p.Name(), key, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failing took %v; a stopped service must fail at once", d)
	}
	svc.Start()
	checkUnwrapsAgain(t, p, s, blob, "the service is back")
}

// checkHung: a service that takes calls and never answers (SIGSTOP) costs
// Available, Unwrap and, with wrapToo, Wrap their deadline, not a hang,
// and the error is ErrUnavailable naming the deadline; once it resumes, a
// blob made before unwraps to the same key.
func checkHung(t *testing.T, p Protector, svc breakable, s Scope, wrapToo bool) {
	t.Helper()
	blob := wrapStandIn(t, p, s)
	svc.Freeze()
	const deadline = 300 * time.Millisecond
	calls := map[string]func(context.Context) error{
		"Available": p.Available,
		"Unwrap":    func(ctx context.Context) error { _, err := p.Unwrap(ctx, s, blob); return err },
	}
	if wrapToo {
		calls["Wrap"] = func(ctx context.Context) error { _, err := p.Wrap(ctx, s, deviceKeyStandIn); return err }
	}
	for name, call := range calls {
		start := time.Now()
		err := call(ctxFor(t, deadline))
		if d := time.Since(start); d > deadline+time.Second {
			t.Errorf("%s on a hung %s took %v with a %v deadline", name, p.Name(), d, deadline)
		}
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("%s on a hung %s = %v, want ErrUnavailable naming the deadline", name, p.Name(), err)
		}
	}
	svc.Thaw()
	checkUnwrapsAgain(t, p, s, blob, "the service resumes")
}
