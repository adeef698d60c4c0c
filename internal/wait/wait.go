// Package wait pauses for a while in a way that a context can cut short:
// the retries and back-offs that a caller waits for (the wrong-passcode
// delay, a Secret Service that answers "not there" for a moment, a
// database that is busy while another process creates it) go through it,
// so none of them outlives its caller's deadline.
package wait

import (
	"context"
	"time"
)

// For waits for d, or until ctx ends, whichever comes first, and returns
// ctx's error in the second case.
func For(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
