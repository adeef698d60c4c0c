package protector

import (
	"context"
	"errors"
	"testing"
)

func TestCallOSReturnsResult(t *testing.T) {
	v, err := CallOS(context.Background(), "call", func() ([]byte, error) { return []byte("k"), nil }, nil)
	if err != nil || string(v) != "k" {
		t.Fatalf("CallOS = %q, %v", v, err)
	}
	want := errors.New("os says no")
	if _, err := CallOS(context.Background(), "call", func() ([]byte, error) { return nil, want }, nil); err != want {
		t.Fatalf("CallOS error = %v, want %v", err, want)
	}
}

// TestCallOSAbandonsHungCall: a call that does not return before the
// context ends is abandoned with the context's error, and its late result
// is handed to discard (which wipes it) rather than lost in memory.
func TestCallOSAbandonsHungCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	started := make(chan struct{})
	discarded := make(chan []byte, 1)
	late := []byte("late secret")
	errc := make(chan error, 1)
	go func() {
		_, err := CallOS(ctx, "hung call", func() ([]byte, error) {
			close(started)
			<-release
			return late, nil
		}, func(b []byte) { clear(b); discarded <- b })
		errc <- err
	}()
	<-started
	cancel()
	err := <-errc // returns while the call is still blocked on release
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CallOS of a hung call = %v, want context.Canceled", err)
	}
	select {
	case <-discarded:
		t.Fatal("discard ran before the call returned")
	default:
	}
	close(release)
	b := <-discarded
	if string(b) != string(make([]byte, len("late secret"))) {
		t.Fatalf("the late result was not wiped: %q", b)
	}
}

func TestCallOSCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	_, err := CallOS(ctx, "call", func() (int, error) { called = true; return 1, nil }, nil)
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("CallOS with a canceled context = %v (called %v)", err, called)
	}
}
