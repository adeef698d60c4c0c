package protector

import (
	"context"
	"fmt"
	"time"
)

// CallTimeout bounds an OS call made with a context that has no deadline
// of its own. Open always passes one (securestore.ProtectorTimeout); this
// covers other callers of a protector.
const CallTimeout = 30 * time.Second

// CallOS runs call, an OS call that takes no context (DPAPI, the macOS
// Security framework), in a goroutine and waits for it until ctx ends. A
// call that is still running then is abandoned: CallOS returns ctx's error
// at once, and when the call finally returns, its result is handed to
// discard (which wipes any key material in it) and dropped. So a hung key
// store makes Open fail at its deadline instead of hanging it; the stuck
// goroutine is the price, and it ends when the OS call does.
//
// call must own everything it touches: callers pass it copies of keys,
// since they wipe their own copies as soon as CallOS returns.
func CallOS[T any](ctx context.Context, what string, call func() (T, error), discard func(T)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, CallTimeout)
		defer cancel()
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil && discard != nil {
				discard(r.v)
			}
		}()
		return zero, fmt.Errorf("%s did not return in time: %w", what, ctx.Err())
	}
}
