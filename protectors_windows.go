package securestore

import (
	"github.com/securestore-go/securestore/protector"
	"github.com/securestore-go/securestore/protector/dpapi"
)

// platformProtector is Windows DPAPI for the current user.
func platformProtector() protector.Protector { return dpapi.New() }
