package machineid

import "golang.org/x/sys/unix"

// The host UUID the kernel takes from SMBIOS or /etc/hostid.
var platformSources = []Source{
	{"kern.hostuuid", func() ([]byte, error) {
		s, err := unix.Sysctl("kern.hostuuid")
		return nonEmpty([]byte(s), err)
	}},
}
