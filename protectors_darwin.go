package securestore

import (
	"github.com/securestore-go/securestore/protector"
	"github.com/securestore-go/securestore/protector/keychain"
)

// platformProtector is the user's login keychain.
func platformProtector() protector.Protector { return keychain.New() }
