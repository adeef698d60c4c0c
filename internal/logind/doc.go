// Package logind watches the user's desktop session through systemd-logind
// on the system bus, so that the securestore agent can lock when the
// screen locks or the machine goes to sleep.
//
// Use Watch and read Events until the watcher ends:
//
//	w, err := logind.Watch(ctx, logind.Options{})
//	if err != nil { ... } // ErrNoBus, ErrNoLogind, ErrNoSession
//	defer w.Close()
//	for ev := range w.Events() {
//		if ev.ShouldLock() { lock() }
//	}
//
// What it listens to, all from org.freedesktop.login1 (systemd's
// org.freedesktop.login1(5)):
//   - the session's Lock and Unlock signals (loginctl lock-session, the
//     desktop's screen locker), on org.freedesktop.login1.Session at the
//     session's path;
//   - the session's LockedHint property (PropertiesChanged), which screen
//     lockers set through SetLockedHint;
//   - the Manager's PrepareForSleep(b) signal: true just before suspend or
//     hibernation, false after resume;
//   - the bus itself: logind leaving the bus (NameOwnerChanged) and the
//     connection dropping are reported, and the watcher reconnects; when
//     logind or the connection is back it reports the session's
//     LockedHint, which may have turned true while it could not see it.
//
// The session is Options.SessionID, else $XDG_SESSION_ID, else the session
// of this process (Manager.GetSessionByPID), else, for a process in no
// session such as a systemd user service, the user's display session
// (Manager.GetUser, then the User's Display property). Signals are taken only from
// the connection that owns org.freedesktop.login1, so another program on
// the bus cannot forge a Lock or an Unlock. Every D-Bus call, the
// connection included, has a deadline (Options.CallTimeout).
//
// Package logindtest serves logind's interface on a private bus for tests.
package logind
