package logind

import "github.com/godbus/dbus/v5"

// logind's names, as systemd's org.freedesktop.login1(5) spells them.
const (
	busName          = "org.freedesktop.login1"
	managerPath      = dbus.ObjectPath("/org/freedesktop/login1")
	managerInterface = "org.freedesktop.login1.Manager"
	sessionInterface = "org.freedesktop.login1.Session"
	userInterface    = "org.freedesktop.login1.User"

	propertiesInterface = "org.freedesktop.DBus.Properties"
	busDaemonName       = "org.freedesktop.DBus"
)
