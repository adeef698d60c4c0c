//go:build !linux && !darwin && !freebsd && !windows

package protector

// No machine identity is known for this platform: key files are unbound.
var machineIDSources []machineIDSource
