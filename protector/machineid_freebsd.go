package protector

import "golang.org/x/sys/unix"

// The host UUID the kernel takes from SMBIOS or /etc/hostid.
var machineIDSources = []machineIDSource{
	{"kern.hostuuid", func() ([]byte, error) {
		s, err := unix.Sysctl("kern.hostuuid")
		return nonEmpty([]byte(s), err)
	}},
}
