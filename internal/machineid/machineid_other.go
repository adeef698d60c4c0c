//go:build !linux && !darwin && !freebsd && !windows

package machineid

// No machine identity is known for this platform: key files are unbound.
var platformSources []Source
