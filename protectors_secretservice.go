//go:build linux || freebsd || openbsd || netbsd

package securestore

import (
	"github.com/securestore-go/securestore/protector"
	"github.com/securestore-go/securestore/protector/secretservice"
)

// platformProtector is the desktop's Secret Service (GNOME Keyring,
// KWallet, KeePassXC).
func platformProtector() protector.Protector { return secretservice.New() }
