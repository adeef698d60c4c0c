package syncgroup

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// A watch on a connection that died without a word (a member frozen, a
// peer gone without a reset, a NAT that dropped the flow) delivers no
// event and no error: it just waits. gRPC keepalive (Open) drops such a
// connection, but etcd's client then resumes the watch by itself on a
// new one, and while no member answers, that wait has no end either. So
// Run's watch checks for itself that it is alive: after watchIdle with
// nothing delivered it asks etcd for a progress report, which the server
// answers on the watch's own stream, and when nothing at all arrives
// within progressWait it gives up on the watch. Run then reconnects and
// catches up from the last revision applied.

// liveness is one watch's check. Its timer runs while the watch is quiet.
type liveness struct {
	g          *Group
	timer      *time.Timer
	asked      bool // the timer runs for progressWait: nothing came since the request
	unanswered int  // progress requests whose answers have not arrived yet
}

func (g *Group) newLiveness() *liveness {
	return &liveness{g: g, timer: time.NewTimer(g.watchIdle)}
}

func (l *liveness) stop() { l.timer.Stop() }

// heard records that the watch delivered resp. It reports whether resp is
// only the answer to the progress request: a sign of life whose revision
// must not be taken as applied, because etcd 3.4 sends that answer beside
// the watch's events, not after them, so it can run ahead of events still
// on their way.
func (l *liveness) heard(resp *clientv3.WatchResponse) (answerOnly bool) {
	l.timer.Reset(l.g.watchIdle)
	l.asked = false
	if l.unanswered > 0 && resp.IsProgressNotify() {
		l.unanswered--
		return true
	}
	return false
}

// quiet is called when the timer fires: it asks for progress the first
// time, and says the watch went silent (ErrUnavailable) when that request
// was not answered.
func (l *liveness) quiet(ctx context.Context) error {
	if l.asked {
		return l.silent(fmt.Errorf("no answer to a progress request in %v", l.g.progressWait))
	}
	// RequestProgress finds the watch's stream by the context's metadata,
	// so the context must say WithRequireLeader as the watch's does;
	// without it the client would open a stream of its own to ask on.
	cctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(ctx), l.g.cfg.CallTimeout)
	defer cancel()
	if err := l.g.cli.RequestProgress(cctx); err != nil {
		return l.silent(fmt.Errorf("asking for progress: %v", err))
	}
	l.asked = true
	l.unanswered++
	l.timer.Reset(l.g.progressWait)
	return nil
}

func (l *liveness) silent(why error) error {
	err := fmt.Errorf("%w: the watch went silent after %v: %v", ErrUnavailable, l.g.watchIdle, why)
	if l.g.testOnlySilent != nil {
		l.g.testOnlySilent(err)
	}
	return err
}
