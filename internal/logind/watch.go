package logind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// Options says which bus and session to watch. The zero value watches
// this process's session on the system bus.
type Options struct {
	// Address is the bus's D-Bus address; empty means
	// $DBUS_SYSTEM_BUS_ADDRESS, else the system bus's standard socket.
	Address string
	// SessionID is the logind session to watch; empty means
	// $XDG_SESSION_ID, else the session of PID.
	SessionID string
	// PID finds the session when there is no id; 0 means this process.
	PID int
	// UID finds the user's display session when PID is in no session (a
	// systemd user service); 0 means this process's user.
	UID int
	// CallTimeout bounds every D-Bus call and the connection itself; 0
	// means DefaultCallTimeout.
	CallTimeout time.Duration
	// RetryInterval is the first wait before a reconnection after the bus
	// dropped; each failed attempt doubles it, up to MaxRetryInterval. 0
	// means one second.
	RetryInterval time.Duration
}

// DefaultCallTimeout bounds a D-Bus call when Options.CallTimeout is 0.
const DefaultCallTimeout = 5 * time.Second

// MaxRetryInterval caps the wait between two reconnection attempts.
const MaxRetryInterval = 30 * time.Second

// systemBusAddress is the system bus's standard socket (D-Bus
// specification, "Well-known Message Bus Instances").
const systemBusAddress = "unix:path=/var/run/dbus/system_bus_socket"

func (o Options) withDefaults() Options {
	if o.Address == "" {
		o.Address = os.Getenv("DBUS_SYSTEM_BUS_ADDRESS")
	}
	if o.Address == "" {
		o.Address = systemBusAddress
	}
	if o.SessionID == "" {
		o.SessionID = os.Getenv("XDG_SESSION_ID")
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	if o.UID == 0 {
		o.UID = os.Getuid()
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = time.Second
	}
	return o
}

// Watcher delivers the events of one session until it is closed.
type Watcher struct {
	opts   Options
	events chan Event
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	session dbus.ObjectPath
	locked  bool
}

// Watch connects to the bus, finds the session and subscribes to its
// signals. It returns ErrNoBus, ErrNoLogind or ErrNoSession (wrapping
// the cause) when it cannot; once it has returned, no event is missed
// until the watcher ends (ctx done or Close), when Events is closed.
func Watch(ctx context.Context, opts Options) (*Watcher, error) {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{opts: opts, events: make(chan Event, 16), cancel: cancel, done: make(chan struct{})}
	c, err := w.connect(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	go w.run(ctx, c)
	return w, nil
}

// Events returns the channel of events; it is closed when the watcher
// ends. The watcher waits for the reader: read it promptly.
func (w *Watcher) Events() <-chan Event { return w.events }

// Session returns the object path of the watched session.
func (w *Watcher) Session() dbus.ObjectPath {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.session
}

// Locked returns the session's LockedHint as last seen: at Watch, then
// from its changes.
func (w *Watcher) Locked() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.locked
}

// Close stops the watcher, closes its connection, and returns once
// Events is closed.
func (w *Watcher) Close() error {
	w.cancel()
	<-w.done
	return nil
}

// conn is one live connection, subscribed to the session's signals.
type conn struct {
	bus     *dbus.Conn
	close   context.CancelFunc // closes bus and releases its context
	signals chan *dbus.Signal
	owner   string // logind's unique name, "" while it is off the bus
	session dbus.ObjectPath
}

// connect dials the bus, finds logind and the session, subscribes, and
// reads the session's LockedHint. Everything is under CallTimeout.
func (w *Watcher) connect(ctx context.Context) (*conn, error) {
	// The connection lives as long as ctx; the timer bounds its setup
	// (dial, authentication, Hello), which godbus runs without a context
	// of its own: cancelling connCtx closes the socket under it.
	connCtx, closeConn := context.WithCancel(ctx)
	timer := time.AfterFunc(w.opts.CallTimeout, closeConn)
	bus, err := dbus.Connect(w.opts.Address, dbus.WithContext(connCtx))
	if !timer.Stop() {
		err = errors.Join(err, context.DeadlineExceeded)
	}
	if err != nil {
		closeConn()
		if bus != nil {
			bus.Close()
		}
		return nil, fmt.Errorf("%w (%s): %w", ErrNoBus, w.opts.Address, err)
	}
	c, err := w.subscribe(ctx, bus)
	if err != nil {
		bus.Close()
		closeConn()
		return nil, err
	}
	c.close = func() { bus.Close(); closeConn() }
	return c, nil
}

func (w *Watcher) subscribe(ctx context.Context, bus *dbus.Conn) (*conn, error) {
	call := func(f func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
		defer cancel()
		return f(ctx)
	}
	c := &conn{bus: bus, signals: make(chan *dbus.Signal, 64)}
	bus.Signal(c.signals)

	// Subscribe before asking anything, so that no change between the
	// answers and the subscription goes unseen.
	err := call(func(ctx context.Context) error {
		return bus.AddMatchSignalContext(ctx,
			dbus.WithMatchSender(busDaemonName), dbus.WithMatchInterface(busDaemonName),
			dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, busName))
	})
	if err != nil {
		return nil, fmt.Errorf("logind: subscribe to NameOwnerChanged: %w", err)
	}
	err = call(func(ctx context.Context) error {
		return bus.BusObject().CallWithContext(ctx, busDaemonName+".GetNameOwner", 0, busName).Store(&c.owner)
	})
	if err != nil {
		var derr dbus.Error
		if errors.As(err, &derr) && derr.Name == "org.freedesktop.DBus.Error.NameHasNoOwner" {
			return nil, fmt.Errorf("%w: %w", ErrNoLogind, err)
		}
		return nil, fmt.Errorf("logind: ask the bus for %s: %w", busName, err)
	}

	if c.session, err = w.findSession(ctx, bus); err != nil {
		return nil, err
	}

	for _, match := range [][]dbus.MatchOption{
		{dbus.WithMatchSender(busName), dbus.WithMatchObjectPath(c.session), dbus.WithMatchInterface(sessionInterface)},
		{dbus.WithMatchSender(busName), dbus.WithMatchObjectPath(c.session), dbus.WithMatchInterface(propertiesInterface),
			dbus.WithMatchMember("PropertiesChanged"), dbus.WithMatchArg(0, sessionInterface)},
		{dbus.WithMatchSender(busName), dbus.WithMatchObjectPath(managerPath), dbus.WithMatchInterface(managerInterface),
			dbus.WithMatchMember("PrepareForSleep")},
	} {
		if err := call(func(ctx context.Context) error { return bus.AddMatchSignalContext(ctx, match...) }); err != nil {
			return nil, fmt.Errorf("logind: subscribe to the session's signals: %w", err)
		}
	}

	var locked bool
	if err := call(func(ctx context.Context) error { return w.lockedHint(ctx, c, &locked) }); err != nil {
		return nil, fmt.Errorf("logind: read LockedHint: %w", err)
	}
	w.mu.Lock()
	w.session, w.locked = c.session, locked
	w.mu.Unlock()
	return c, nil
}

// findSession asks logind for the session to watch: by id, else by
// process; a process outside any session (a systemd user service, as the
// agent is when socket-activated) watches its user's display session,
// the User's Display property, as gpg-agent's users would expect.
func (w *Watcher) findSession(ctx context.Context, bus *dbus.Conn) (dbus.ObjectPath, error) {
	manager := bus.Object(busName, managerPath)
	call := func(method string, arg any, out any) error {
		ctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
		defer cancel()
		return manager.CallWithContext(ctx, managerInterface+"."+method, 0, arg).Store(out)
	}
	var session dbus.ObjectPath
	var err error
	if w.opts.SessionID != "" {
		err = call("GetSession", w.opts.SessionID, &session)
	} else if err = call("GetSessionByPID", uint32(w.opts.PID), &session); dbusErrorName(err) == "org.freedesktop.login1.NoSessionForPID" {
		var user dbus.ObjectPath
		if uerr := call("GetUser", uint32(w.opts.UID), &user); uerr == nil {
			var display struct {
				ID   string
				Path dbus.ObjectPath
			}
			ctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
			defer cancel()
			if derr := bus.Object(busName, user).CallWithContext(ctx, propertiesInterface+".Get", 0, userInterface, "Display").Store(&display); derr == nil && display.Path != "/" {
				return display.Path, nil
			}
		}
	}
	if err != nil {
		switch dbusErrorName(err) {
		case "org.freedesktop.login1.NoSuchSession", "org.freedesktop.login1.NoSessionForPID":
			return "", fmt.Errorf("%w: %w", ErrNoSession, err)
		}
		return "", fmt.Errorf("logind: find the session: %w", err)
	}
	return session, nil
}

// dbusErrorName is the D-Bus error name of err, or "".
func dbusErrorName(err error) string {
	var derr dbus.Error
	if errors.As(err, &derr) {
		return derr.Name
	}
	return ""
}

func (w *Watcher) lockedHint(ctx context.Context, c *conn, locked *bool) error {
	return c.bus.Object(busName, c.session).
		CallWithContext(ctx, propertiesInterface+".Get", 0, sessionInterface, "LockedHint").Store(locked)
}

// run delivers events until ctx ends, reconnecting when the bus drops.
func (w *Watcher) run(ctx context.Context, c *conn) {
	defer close(w.done)
	defer close(w.events)
	for {
		err := w.pump(ctx, c)
		c.close()
		if ctx.Err() != nil {
			return
		}
		if !w.send(ctx, Event{Kind: BusLost, Err: err}) {
			return
		}
		if c = w.reconnect(ctx); c == nil {
			return
		}
		if !w.send(ctx, Event{Kind: Reconnected, Locked: w.Locked()}) {
			return
		}
	}
}

// reconnect retries connect with a doubling interval until it works or
// ctx ends (then nil).
func (w *Watcher) reconnect(ctx context.Context) *conn {
	wait := w.opts.RetryInterval
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if c, err := w.connect(ctx); err == nil {
			return c
		}
		wait = min(2*wait, MaxRetryInterval)
	}
}

// send delivers ev unless ctx ends first.
func (w *Watcher) send(ctx context.Context, ev Event) bool {
	select {
	case w.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// pump turns the connection's signals into events until the connection
// drops (the error says why) or ctx ends.
func (w *Watcher) pump(ctx context.Context, c *conn) error {
	for {
		var sig *dbus.Signal
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case sig, ok = <-c.signals:
		}
		if !ok {
			return errors.New("the connection to the bus closed")
		}
		ev, ok := w.event(ctx, c, sig)
		if ok && !w.send(ctx, ev) {
			return ctx.Err()
		}
	}
}

// event turns one signal into an event; ok is false for a signal that
// means nothing to the watcher, or that does not come from logind.
func (w *Watcher) event(ctx context.Context, c *conn, sig *dbus.Signal) (Event, bool) {
	if sig.Name == busDaemonName+".NameOwnerChanged" {
		var name, oldOwner, newOwner string
		if sig.Sender != busDaemonName || dbus.Store(sig.Body, &name, &oldOwner, &newOwner) != nil || name != busName {
			return Event{}, false
		}
		c.owner = newOwner
		if newOwner == "" {
			return Event{Kind: ServiceLost}, true
		}
		return w.serviceBack(ctx, c), true
	}
	if c.owner == "" || sig.Sender != c.owner {
		return Event{}, false // not from logind: forged, or stale
	}
	switch {
	case sig.Path == c.session && sig.Name == sessionInterface+".Lock":
		return Event{Kind: Lock}, true
	case sig.Path == c.session && sig.Name == sessionInterface+".Unlock":
		return Event{Kind: Unlock}, true
	case sig.Path == managerPath && sig.Name == managerInterface+".PrepareForSleep":
		var start bool
		if dbus.Store(sig.Body, &start) != nil {
			return Event{}, false
		}
		return Event{Kind: PrepareForSleep, Sleeping: start}, true
	case sig.Path == c.session && sig.Name == propertiesInterface+".PropertiesChanged":
		return w.lockedHintChanged(ctx, c, sig.Body)
	}
	return Event{}, false
}

// serviceBack is the event of logind's return: the session may have
// locked while no logind could say so, so the returning one is asked for
// its LockedHint. A session it cannot answer for counts as locked: a
// lock too many costs a passcode, a lock missed keeps secrets open.
func (w *Watcher) serviceBack(ctx context.Context, c *conn) Event {
	ctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
	defer cancel()
	var locked bool
	if w.lockedHint(ctx, c, &locked) != nil {
		locked = true
	}
	w.mu.Lock()
	w.locked = locked
	w.mu.Unlock()
	return Event{Kind: ServiceBack, Locked: locked}
}

// lockedHintChanged reads a PropertiesChanged(s interface, a{sv} changed,
// as invalidated) for LockedHint: its new value, or, when only
// invalidated, the value asked from logind.
func (w *Watcher) lockedHintChanged(ctx context.Context, c *conn, body []any) (Event, bool) {
	var iface string
	var changed map[string]dbus.Variant
	var invalidated []string
	if dbus.Store(body, &iface, &changed, &invalidated) != nil || iface != sessionInterface {
		return Event{}, false
	}
	var locked bool
	if v, ok := changed["LockedHint"]; ok {
		if v.Store(&locked) != nil {
			return Event{}, false
		}
	} else if slices.Contains(invalidated, "LockedHint") {
		ctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
		defer cancel()
		if w.lockedHint(ctx, c, &locked) != nil {
			return Event{}, false
		}
	} else {
		return Event{}, false
	}
	w.mu.Lock()
	w.locked = locked
	w.mu.Unlock()
	return Event{Kind: LockedHint, Locked: locked}, true
}
