package wait

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestForEnds(t *testing.T) {
	if err := For(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("For(1ms) = %v, want nil", err)
	}
}

// TestForCanceled: a canceled context ends the wait with its error, even
// a wait that would otherwise outlast the test.
func TestForCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("For on a canceled context = %v, want context.Canceled", err)
	}
}
