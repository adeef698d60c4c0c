package logind

import "fmt"

// Kind says what happened.
type Kind int

const (
	// Lock: logind asked the session's screen locker to lock (the
	// session's Lock signal).
	Lock Kind = iota + 1
	// Unlock: logind asked the session to unlock (Unlock signal).
	Unlock
	// LockedHint: the session's LockedHint property changed; Event.Locked
	// holds the new value.
	LockedHint
	// PrepareForSleep: the machine is about to sleep (Event.Sleeping
	// true) or has resumed (false).
	PrepareForSleep
	// ServiceLost: logind left the bus; nothing more is seen until
	// ServiceBack.
	ServiceLost
	// ServiceBack: logind is on the bus again; Event.Locked holds the
	// session's LockedHint as the returning logind gives it (true when it
	// cannot say: the session may have locked while logind was away).
	ServiceBack
	// BusLost: the connection to the bus dropped (Event.Err says why);
	// the watcher keeps trying to reconnect.
	BusLost
	// Reconnected: the watcher is connected and subscribed again;
	// Event.Locked holds the session's LockedHint at that moment.
	Reconnected
)

var kindNames = map[Kind]string{
	Lock: "Lock", Unlock: "Unlock", LockedHint: "LockedHint", PrepareForSleep: "PrepareForSleep",
	ServiceLost: "ServiceLost", ServiceBack: "ServiceBack", BusLost: "BusLost", Reconnected: "Reconnected",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Event is one thing that happened to the session.
type Event struct {
	Kind     Kind
	Locked   bool  // LockedHint, Reconnected, ServiceBack: the session's LockedHint
	Sleeping bool  // PrepareForSleep: true before sleep, false after resume
	Err      error // BusLost: why
}

// ShouldLock reports whether the event means secrets should be locked
// away now: the session locks, or the machine is about to sleep.
// ServiceLost and BusLost do not lock by themselves: they only mean the
// watcher is blind until it is back, which the agent may treat as it
// likes.
func (e Event) ShouldLock() bool {
	switch e.Kind {
	case Lock:
		return true
	case LockedHint, Reconnected, ServiceBack:
		return e.Locked
	case PrepareForSleep:
		return e.Sleeping
	}
	return false
}

// Reason says in a few words why the event locks ("session locked",
// "before sleep"), for the agent's log and status; "" when it does not.
func (e Event) Reason() string {
	if !e.ShouldLock() {
		return ""
	}
	switch e.Kind {
	case PrepareForSleep:
		return "before sleep"
	case LockedHint, Reconnected, ServiceBack:
		return "session locked (LockedHint)"
	}
	return "session locked"
}

func (e Event) String() string {
	switch e.Kind {
	case LockedHint, Reconnected, ServiceBack:
		return fmt.Sprintf("%v(locked=%v)", e.Kind, e.Locked)
	case PrepareForSleep:
		return fmt.Sprintf("%v(%v)", e.Kind, e.Sleeping)
	case BusLost:
		return fmt.Sprintf("%v(%v)", e.Kind, e.Err)
	}
	return e.Kind.String()
}
