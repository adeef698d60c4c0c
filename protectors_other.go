//go:build !linux && !freebsd && !openbsd && !netbsd && !darwin && !windows

package securestore

import "github.com/securestore-go/securestore/protector"

// platformProtector is nil: this platform has no key store that
// securestore knows.
func platformProtector() protector.Protector { return nil }
