//go:build linux || freebsd || openbsd || netbsd

package logindtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// Session is one session the fake logind knows: its id, the process
// that GetSessionByPID maps to it, and its user, whose display session
// (User.Display) it is when Display is set. Locked is its LockedHint when
// the service starts: a session that locked while a watcher could not
// see it (no signal is emitted for it).
type Session struct {
	ID      string
	PID     int
	UID     int
	Display bool
	Locked  bool
}

// Logind serves org.freedesktop.login1 on a bus: the Manager at
// /org/freedesktop/login1 (GetSession(s)→o, GetSessionByPID(u)→o,
// GetUser(u)→o, signal PrepareForSleep(b)), each Session at
// /org/freedesktop/login1/session/_XX (signals Lock(), Unlock(), property
// LockedHint b with change signals, method SetLockedHint(b)), and each
// User at /org/freedesktop/login1/user/_UID (property Display (so)).
type Logind struct {
	t        testing.TB
	conn     *dbus.Conn
	sessions []Session

	mu    sync.Mutex
	props map[string]*prop.Properties // by session id
}

const (
	busName          = "org.freedesktop.login1"
	managerPath      = dbus.ObjectPath("/org/freedesktop/login1")
	managerInterface = "org.freedesktop.login1.Manager"
	sessionInterface = "org.freedesktop.login1.Session"
	userInterface    = "org.freedesktop.login1.User"
)

// userDisplay is the User's Display property: (so) the session id and
// path, ("", "/") for none.
type userDisplay struct {
	ID   string
	Path dbus.ObjectPath
}

// users maps each uid of sessions to its display session.
func users(sessions []Session) map[int]userDisplay {
	m := map[int]userDisplay{}
	for _, s := range sessions {
		if d, ok := m[s.UID]; !ok || d.Path == "/" {
			m[s.UID] = userDisplay{"", "/"}
		}
		if s.Display {
			m[s.UID] = userDisplay{s.ID, SessionPath(s.ID)}
		}
	}
	return m
}

// UserPath is the object path logind gives the user uid.
func UserPath(uid int) dbus.ObjectPath {
	return dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/login1/user/_%d", uid))
}

// Start connects to the bus at address, exports logind's objects and
// takes the name org.freedesktop.login1. It stops when the test ends.
func Start(t testing.TB, address string, sessions ...Session) *Logind {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := dbus.Connect(address, dbus.WithContext(context.Background()))
	if err != nil {
		t.Fatalf("logindtest: connect to %s: %v", address, err)
	}
	l := &Logind{t: t, conn: conn, sessions: sessions, props: map[string]*prop.Properties{}}
	t.Cleanup(l.Stop)
	if err := conn.Export(manager{l}, managerPath, managerInterface); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(introspect.Introspectable(managerXML), managerPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		path := SessionPath(s.ID)
		props, err := prop.Export(conn, path, prop.Map{sessionInterface: {
			"Id":         {Value: s.ID, Emit: prop.EmitConst},
			"LockedHint": {Value: s.Locked, Emit: prop.EmitTrue},
		}})
		if err != nil {
			t.Fatal(err)
		}
		l.props[s.ID] = props
		if err := conn.Export(session{l, s.ID}, path, sessionInterface); err != nil {
			t.Fatal(err)
		}
		if err := conn.Export(introspect.Introspectable(sessionXML), path, "org.freedesktop.DBus.Introspectable"); err != nil {
			t.Fatal(err)
		}
	}
	for uid, display := range users(sessions) {
		_, err := prop.Export(conn, UserPath(uid), prop.Map{userInterface: {
			"UID":     {Value: uint32(uid), Emit: prop.EmitConst},
			"Display": {Value: display, Emit: prop.EmitFalse},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var reply dbus.RequestNameReply
	call := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.RequestName", 0, busName, uint32(dbus.NameFlagDoNotQueue))
	if err := call.Store(&reply); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("logindtest: take %s: %v (reply %v)", busName, err, reply)
	}
	return l
}

// SessionPath is the object path logind gives session id: systemd's
// bus_label_escape, where every byte but [A-Za-z0-9] (and a leading
// digit) becomes _XX.
func SessionPath(id string) dbus.ObjectPath {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum || i == 0 && c >= '0' && c <= '9' {
			fmt.Fprintf(&b, "_%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return dbus.ObjectPath("/org/freedesktop/login1/session/" + b.String())
}

// Lock emits the session's Lock signal, as `loginctl lock-session` makes
// logind do.
func (l *Logind) Lock(id string) { l.emit(SessionPath(id), sessionInterface+".Lock") }

// Unlock emits the session's Unlock signal.
func (l *Logind) Unlock(id string) { l.emit(SessionPath(id), sessionInterface+".Unlock") }

// PrepareForSleep emits the Manager's PrepareForSleep(start).
func (l *Logind) PrepareForSleep(start bool) {
	l.emit(managerPath, managerInterface+".PrepareForSleep", start)
}

// SetLockedHint sets the session's LockedHint, which emits
// PropertiesChanged, as a screen locker's SetLockedHint call does.
func (l *Logind) SetLockedHint(id string, locked bool) {
	l.mu.Lock()
	props := l.props[id]
	l.mu.Unlock()
	if props == nil {
		l.t.Fatalf("logindtest: no session %q", id)
	}
	props.SetMust(sessionInterface, "LockedHint", locked)
}

// Stop drops the connection: logind leaves the bus, as when it restarts.
func (l *Logind) Stop() { l.conn.Close() }

func (l *Logind) emit(path dbus.ObjectPath, name string, values ...any) {
	l.t.Helper()
	if err := l.conn.Emit(path, name, values...); err != nil {
		l.t.Fatalf("logindtest: emit %s: %v", name, err)
	}
}

type manager struct{ l *Logind }

// GetSession(s session_id) → (o object_path)
func (m manager) GetSession(id string) (dbus.ObjectPath, *dbus.Error) {
	for _, s := range m.l.sessions {
		if s.ID == id {
			return SessionPath(id), nil
		}
	}
	return "", dbus.NewError("org.freedesktop.login1.NoSuchSession", []any{"No session '" + id + "' known"})
}

// GetSessionByPID(u pid) → (o object_path)
func (m manager) GetSessionByPID(pid uint32) (dbus.ObjectPath, *dbus.Error) {
	for _, s := range m.l.sessions {
		if uint32(s.PID) == pid {
			return SessionPath(s.ID), nil
		}
	}
	return "", dbus.NewError("org.freedesktop.login1.NoSessionForPID", []any{fmt.Sprintf("PID %d does not belong to any known session", pid)})
}

// GetUser(u uid) → (o object_path)
func (m manager) GetUser(uid uint32) (dbus.ObjectPath, *dbus.Error) {
	if _, ok := users(m.l.sessions)[int(uid)]; ok {
		return UserPath(int(uid)), nil
	}
	return "", dbus.NewError("org.freedesktop.login1.NoSuchUser", []any{fmt.Sprintf("User ID %d is not logged in or lingering", uid)})
}

type session struct {
	l  *Logind
	id string
}

// SetLockedHint(b locked), what screen lockers call.
func (s session) SetLockedHint(locked bool) *dbus.Error {
	s.l.SetLockedHint(s.id, locked)
	return nil
}

// The introspection data of the parts of logind's interface served here,
// as systemd's own introspection spells them.
const managerXML = `<node>
 <interface name="org.freedesktop.login1.Manager">
  <method name="GetSession"><arg type="s" name="session_id" direction="in"/><arg type="o" name="object_path" direction="out"/></method>
  <method name="GetSessionByPID"><arg type="u" name="pid" direction="in"/><arg type="o" name="object_path" direction="out"/></method>
  <method name="GetUser"><arg type="u" name="uid" direction="in"/><arg type="o" name="object_path" direction="out"/></method>
  <signal name="PrepareForSleep"><arg type="b" name="start"/></signal>
 </interface>
</node>`

const sessionXML = `<node>
 <interface name="org.freedesktop.login1.Session">
  <property name="Id" type="s" access="read"/>
  <property name="LockedHint" type="b" access="read"/>
  <method name="SetLockedHint"><arg type="b" name="locked" direction="in"/></method>
  <signal name="Lock"/>
  <signal name="Unlock"/>
 </interface>
</node>`
