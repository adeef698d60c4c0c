package securestore

import (
	"context"
	"sync"
	"time"

	"github.com/securestore-go/securestore/agent"
)

// FrozenClockForTest gives s a clock that never moves and waits for
// nothing: every delay the schedule asks for is reported to slept (from
// any goroutine) instead. Processes that share a store and each use one
// then wait the whole schedule, however their attempts interleave.
func FrozenClockForTest(s *Store, slept func(time.Duration)) {
	s.clock = frozenClock(slept)
}

// AgentUnlockerForTest is AgentUnlocker with FrozenClockForTest's clock on
// every store it opens: the agent's passcode attempts wait for nothing and
// report each wrong-passcode delay they meet to slept. Its clock stands
// still at the same moment as FrozenClockForTest's, so a Store given that
// one reads the delays the agent's attempts recorded as they are.
func AgentUnlockerForTest(slept func(time.Duration)) agent.Unlocker {
	c := frozenClock(slept)
	return agentUnlocker{clock: &c}
}

func frozenClock(slept func(time.Duration)) clock {
	t := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return clock{
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
