package machineid

import "os"

// systemd's machine id, and D-Bus's copy of it on systems without systemd.
var platformSources = []Source{
	{"machine-id", func() ([]byte, error) { return nonEmpty(os.ReadFile("/etc/machine-id")) }},
	{"dbus-machine-id", func() ([]byte, error) { return nonEmpty(os.ReadFile("/var/lib/dbus/machine-id")) }},
}
