package securestore

import (
	"context"
	"sync"
	"time"
)

// FrozenClockForTest gives s a clock that never moves and waits for
// nothing: every delay the schedule asks for is reported to slept (from
// any goroutine) instead. Processes that share a store and each use one
// then wait the whole schedule, however their attempts interleave.
func FrozenClockForTest(s *Store, slept func(time.Duration)) {
	t := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	s.clock = clock{
		now: func() time.Time { return t },
		sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			slept(d)
			return ctx.Err()
		},
	}
}

// PasscodeFailuresForTest returns the store's recorded count of passcode
// attempts since the last right one.
func PasscodeFailuresForTest(ctx context.Context, s *Store) (int, error) {
	st, err := s.own.readPasscodeState(ctx)
	if err != nil {
		return 0, err
	}
	return st.failures.Count, nil
}
