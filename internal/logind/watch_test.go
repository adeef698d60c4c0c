//go:build linux || freebsd || openbsd || netbsd

package logind_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/securestore-go/securestore/internal/logind"
	"github.com/securestore-go/securestore/internal/logind/logindtest"
)

// next returns the watcher's next event. The long deadline only stops a
// broken test from hanging; nothing here is timed.
func next(t *testing.T, w *logind.Watcher) logind.Event {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		if !ok {
			t.Fatal("the watcher ended")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30s")
	}
	return logind.Event{}
}

func expect(t *testing.T, w *logind.Watcher, want logind.Event) {
	t.Helper()
	got := next(t, w)
	if got.Kind != want.Kind || got.Locked != want.Locked || got.Sleeping != want.Sleeping {
		t.Fatalf("event %v, want %v", got, want)
	}
}

func watch(t *testing.T, opts logind.Options) *logind.Watcher {
	t.Helper()
	w, err := logind.Watch(context.Background(), opts)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// TestWatchSessionByPID: with no session id, the watcher finds this
// process's session through GetSessionByPID, and sees its Lock, Unlock
// and LockedHint, and the Manager's PrepareForSleep, in order. Another
// session's Lock is not this session's.
func TestWatchSessionByPID(t *testing.T) {
	t.Setenv("XDG_SESSION_ID", "")
	bus := logindtest.StartBus(t)
	ld := logindtest.Start(t, bus.Address,
		logindtest.Session{ID: "c1", PID: 1}, logindtest.Session{ID: "7", PID: os.Getpid()})
	w := watch(t, logind.Options{Address: bus.Address})
	if got, want := w.Session(), logindtest.SessionPath("7"); got != want || want != "/org/freedesktop/login1/session/_37" {
		t.Fatalf("session %s, want %s", got, want)
	}
	if w.Locked() {
		t.Fatal("Locked at start, LockedHint is false")
	}

	ld.Lock("c1") // someone else's session: no event
	ld.Lock("7")
	expect(t, w, logind.Event{Kind: logind.Lock})
	ld.Unlock("7")
	expect(t, w, logind.Event{Kind: logind.Unlock})
	ld.SetLockedHint("c1", true) // not ours either
	ld.SetLockedHint("7", true)
	expect(t, w, logind.Event{Kind: logind.LockedHint, Locked: true})
	if !w.Locked() {
		t.Error("Locked after LockedHint true: false")
	}
	ld.SetLockedHint("7", false)
	expect(t, w, logind.Event{Kind: logind.LockedHint, Locked: false})
	ld.PrepareForSleep(true)
	ev := next(t, w)
	if ev.Kind != logind.PrepareForSleep || !ev.Sleeping || !ev.ShouldLock() {
		t.Fatalf("event %v, want PrepareForSleep(true) that locks", ev)
	}
	ld.PrepareForSleep(false)
	ev = next(t, w)
	if ev.Kind != logind.PrepareForSleep || ev.Sleeping || ev.ShouldLock() {
		t.Fatalf("event %v, want PrepareForSleep(false) that does not lock", ev)
	}
}

// TestWatchSessionByID: $XDG_SESSION_ID (or Options.SessionID) picks the
// session through GetSession; a session already locked shows in Locked.
func TestWatchSessionByID(t *testing.T) {
	bus := logindtest.StartBus(t)
	ld := logindtest.Start(t, bus.Address, logindtest.Session{ID: "c2", PID: 1})
	ld.SetLockedHint("c2", true)
	t.Setenv("XDG_SESSION_ID", "c2")
	w := watch(t, logind.Options{Address: bus.Address})
	if w.Session() != "/org/freedesktop/login1/session/c2" || !w.Locked() {
		t.Fatalf("session %s, locked %v; want c2, locked", w.Session(), w.Locked())
	}
	ld.Lock("c2")
	expect(t, w, logind.Event{Kind: logind.Lock})

	if _, err := logind.Watch(context.Background(), logind.Options{Address: bus.Address, SessionID: "nope"}); !errors.Is(err, logind.ErrNoSession) {
		t.Errorf("unknown session: %v, want ErrNoSession", err)
	}
	t.Setenv("XDG_SESSION_ID", "")
	if _, err := logind.Watch(context.Background(), logind.Options{Address: bus.Address, PID: 424242, UID: 4242}); !errors.Is(err, logind.ErrNoSession) {
		t.Errorf("process in no session: %v, want ErrNoSession", err)
	}
}

// TestWatchUserDisplay: a process in no session (the agent as a systemd
// user service) watches its user's display session, the User's Display;
// a user with no display session has no session to watch.
func TestWatchUserDisplay(t *testing.T) {
	t.Setenv("XDG_SESSION_ID", "")
	bus := logindtest.StartBus(t)
	ld := logindtest.Start(t, bus.Address,
		logindtest.Session{ID: "3", PID: 1, UID: 1000},
		logindtest.Session{ID: "4", PID: 2, UID: 1000, Display: true},
		logindtest.Session{ID: "5", PID: 3, UID: 1001})
	w := watch(t, logind.Options{Address: bus.Address, PID: 4242, UID: 1000})
	if w.Session() != logindtest.SessionPath("4") {
		t.Fatalf("session %s, want the display session %s", w.Session(), logindtest.SessionPath("4"))
	}
	ld.Lock("3")
	ld.Lock("4")
	expect(t, w, logind.Event{Kind: logind.Lock})
	_, err := logind.Watch(context.Background(), logind.Options{Address: bus.Address, PID: 4242, UID: 1001})
	if !errors.Is(err, logind.ErrNoSession) {
		t.Errorf("user without a display session: %v, want ErrNoSession", err)
	}
}

// TestForgedSignals: another program on the bus sends Lock, Unlock,
// LockedHint and PrepareForSleep as logind would, both broadcast (which
// the bus filters by the match rules' sender) and unicast to every
// connection (which the bus delivers whatever the match rules); none is
// delivered as an event. The genuine Lock sent after them is the next
// event.
func TestForgedSignals(t *testing.T) {
	bus := logindtest.StartBus(t)
	ld := logindtest.Start(t, bus.Address, logindtest.Session{ID: "c3", PID: 1})
	w := watch(t, logind.Options{Address: bus.Address, SessionID: "c3"})

	forger, err := dbus.Connect(bus.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	var names []string
	if err := forger.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
		t.Fatal(err)
	}
	path := logindtest.SessionPath("c3")
	forge := func(dest string, path dbus.ObjectPath, iface, member string, body ...any) {
		msg := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath: dbus.MakeVariant(path), dbus.FieldInterface: dbus.MakeVariant(iface),
			dbus.FieldMember: dbus.MakeVariant(member),
		}, Body: body}
		if dest != "" {
			msg.Headers[dbus.FieldDestination] = dbus.MakeVariant(dest)
		}
		if len(body) > 0 {
			msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body...))
		}
		if call := forger.Send(msg, nil); call.Err != nil {
			t.Fatalf("forge %s: %v", member, call.Err)
		}
	}
	for _, dest := range append(names, "") {
		if dest != "" && (dest[0] != ':' || dest == forger.Names()[0]) {
			continue
		}
		forge(dest, path, "org.freedesktop.login1.Session", "Unlock")
		forge(dest, path, "org.freedesktop.DBus.Properties", "PropertiesChanged", "org.freedesktop.login1.Session",
			map[string]dbus.Variant{"LockedHint": dbus.MakeVariant(true)}, []string{})
		forge(dest, "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForSleep", true)
	}
	// A round trip through the bus after the forgeries: they are all
	// routed before the genuine Lock.
	if err := forger.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err != nil {
		t.Fatal(err)
	}
	ld.Lock("c3")
	expect(t, w, logind.Event{Kind: logind.Lock})
}

// TestNoBus: no socket at the address is ErrNoBus at once; a socket that
// accepts and never answers is ErrNoBus at the call timeout, not a hang.
func TestNoBus(t *testing.T) {
	dir := t.TempDir()
	_, err := logind.Watch(context.Background(), logind.Options{Address: "unix:path=" + filepath.Join(dir, "none")})
	if !errors.Is(err, logind.ErrNoBus) {
		t.Fatalf("no bus: %v, want ErrNoBus", err)
	}

	sock := filepath.Join(dir, "mute")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	_, err = logind.Watch(context.Background(), logind.Options{Address: "unix:path=" + sock, CallTimeout: 300 * time.Millisecond})
	if !errors.Is(err, logind.ErrNoBus) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("mute bus: %v, want ErrNoBus and DeadlineExceeded", err)
	}
}

// TestNoLogind: a bus without logind on it is ErrNoLogind.
func TestNoLogind(t *testing.T) {
	bus := logindtest.StartBus(t)
	_, err := logind.Watch(context.Background(), logind.Options{Address: bus.Address, SessionID: "1"})
	if !errors.Is(err, logind.ErrNoLogind) {
		t.Fatalf("no logind: %v, want ErrNoLogind", err)
	}
}

// TestServiceLost: logind leaving the bus is reported, and so is its
// return; the new logind's signals are then delivered.
func TestServiceLost(t *testing.T) {
	bus := logindtest.StartBus(t)
	ld := logindtest.Start(t, bus.Address, logindtest.Session{ID: "c4", PID: 1})
	w := watch(t, logind.Options{Address: bus.Address, SessionID: "c4"})
	ld.Stop()
	expect(t, w, logind.Event{Kind: logind.ServiceLost})
	ld2 := logindtest.Start(t, bus.Address, logindtest.Session{ID: "c4", PID: 1})
	expect(t, w, logind.Event{Kind: logind.ServiceBack})
	ld2.Lock("c4")
	expect(t, w, logind.Event{Kind: logind.Lock})
}

// TestBusLost: the bus dying is reported with its cause; when it and
// logind are back, the watcher reconnects by itself, reports the
// session's LockedHint, and delivers signals again.
func TestBusLost(t *testing.T) {
	bus := logindtest.StartBus(t)
	logindtest.Start(t, bus.Address, logindtest.Session{ID: "c5", PID: 1})
	w := watch(t, logind.Options{Address: bus.Address, SessionID: "c5", RetryInterval: 20 * time.Millisecond})
	bus.Stop()
	ev := next(t, w)
	if ev.Kind != logind.BusLost || ev.Err == nil {
		t.Fatalf("event %v, want BusLost with a cause", ev)
	}
	bus.Start()
	ld := logindtest.Start(t, bus.Address, logindtest.Session{ID: "c5", PID: 1})
	ld.SetLockedHint("c5", true)
	// The watcher may reconnect before or after the hint is set: it
	// reports the value it read, and a change after that as an event.
	ev = next(t, w)
	if ev.Kind != logind.Reconnected {
		t.Fatalf("event %v, want Reconnected", ev)
	}
	if !ev.Locked {
		expect(t, w, logind.Event{Kind: logind.LockedHint, Locked: true})
	}
	ld.Lock("c5")
	expect(t, w, logind.Event{Kind: logind.Lock})
}

// TestReconnectToLockedSession: a session that locked while the bus was
// down (logind is back with LockedHint already true, and no signal says
// so) is reported locked by the reconnection itself, and the watcher's
// Locked says so too.
func TestReconnectToLockedSession(t *testing.T) {
	bus := logindtest.StartBus(t)
	logindtest.Start(t, bus.Address, logindtest.Session{ID: "c7", PID: 1})
	w := watch(t, logind.Options{Address: bus.Address, SessionID: "c7", RetryInterval: 20 * time.Millisecond})
	bus.Stop()
	if ev := next(t, w); ev.Kind != logind.BusLost {
		t.Fatalf("event %v, want BusLost", ev)
	}
	bus.Start()
	logindtest.Start(t, bus.Address, logindtest.Session{ID: "c7", PID: 1, Locked: true})
	ev := next(t, w)
	if ev.Kind != logind.Reconnected || !ev.Locked || !ev.ShouldLock() || !w.Locked() {
		t.Fatalf("event %v (watcher's Locked %v), want Reconnected(locked=true), which locks", ev, w.Locked())
	}
}

// TestServiceBackToLockedSession: the session locked while logind was
// away (it restarted, and is back with LockedHint already true, which no
// signal says): ServiceBack reports it locked; so it does when the
// returning logind cannot answer for the session.
func TestServiceBackToLockedSession(t *testing.T) {
	bus := logindtest.StartBus(t)
	ld := logindtest.Start(t, bus.Address, logindtest.Session{ID: "c8", PID: 1})
	w := watch(t, logind.Options{Address: bus.Address, SessionID: "c8"})
	ld.Stop()
	expect(t, w, logind.Event{Kind: logind.ServiceLost})
	ld = logindtest.Start(t, bus.Address, logindtest.Session{ID: "c8", PID: 1, Locked: true})
	ev := next(t, w)
	if ev.Kind != logind.ServiceBack || !ev.Locked || !ev.ShouldLock() || !w.Locked() {
		t.Fatalf("event %v (watcher's Locked %v), want ServiceBack(locked=true), which locks", ev, w.Locked())
	}
	// A logind that comes back without the session cannot say it is
	// unlocked: that counts as locked.
	ld.Stop()
	expect(t, w, logind.Event{Kind: logind.ServiceLost})
	logindtest.Start(t, bus.Address, logindtest.Session{ID: "other", PID: 1})
	if ev := next(t, w); ev.Kind != logind.ServiceBack || !ev.ShouldLock() {
		t.Fatalf("event %v, want ServiceBack(locked=true) for a session logind no longer knows", ev)
	}
}

// TestClose: Close ends the watcher and closes Events; so does the end
// of Watch's context.
func TestClose(t *testing.T) {
	bus := logindtest.StartBus(t)
	logindtest.Start(t, bus.Address, logindtest.Session{ID: "c6", PID: 1})
	w, err := logind.Watch(context.Background(), logind.Options{Address: bus.Address, SessionID: "c6"})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, ok := <-w.Events(); ok {
		t.Fatal("an event after Close")
	}

	ctx, cancel := context.WithCancel(context.Background())
	w, err = logind.Watch(ctx, logind.Options{Address: bus.Address, SessionID: "c6"})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range w.Events() {
	}
}

func TestShouldLock(t *testing.T) {
	for ev, want := range map[logind.Event]bool{
		{Kind: logind.Lock}:                            true,
		{Kind: logind.Unlock}:                          false,
		{Kind: logind.LockedHint, Locked: true}:        true,
		{Kind: logind.LockedHint}:                      false,
		{Kind: logind.PrepareForSleep, Sleeping: true}: true,
		{Kind: logind.PrepareForSleep}:                 false,
		{Kind: logind.ServiceLost}:                     false,
		{Kind: logind.BusLost}:                         false,
		{Kind: logind.Reconnected, Locked: true}:       true,
		{Kind: logind.Reconnected}:                     false,
		{Kind: logind.ServiceBack, Locked: true}:       true,
		{Kind: logind.ServiceBack}:                     false,
	} {
		if ev.ShouldLock() != want {
			t.Errorf("%v.ShouldLock() = %v, want %v", ev, !want, want)
		}
		if (ev.Reason() != "") != want {
			t.Errorf("%v.Reason() = %q", ev, ev.Reason())
		}
	}
}

// BenchmarkLockEvent measures a Lock signal's trip from logind through the
// bus to the watcher's Events.
func BenchmarkLockEvent(b *testing.B) {
	bus := logindtest.StartBus(b)
	ld := logindtest.Start(b, bus.Address, logindtest.Session{ID: "b1", PID: 1})
	w, err := logind.Watch(context.Background(), logind.Options{Address: bus.Address, SessionID: "b1"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for b.Loop() {
		ld.Lock("b1")
		if ev := <-w.Events(); ev.Kind != logind.Lock {
			b.Fatalf("event %v", ev)
		}
	}
}
