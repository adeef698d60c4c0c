package securestore

import (
	"github.com/securestore-go/securestore/protector"
	"github.com/securestore-go/securestore/protector/file"
	"github.com/securestore-go/securestore/protector/tpm"
)

// defaultProtectors is the one place that says which protectors a store
// may be created with, and the order "auto" tries them in: the TPM, then
// the platform's key store (platformProtector, per GOOS), then the key
// file; then any protector the program added with protector.Register,
// which may also replace a built-in one by name. Open, Migrate, Info and
// `securestore doctor` all go through it.
//
// A new built-in protector is a package under protector/ with a New
// function, added here (or in the platform file for its GOOS).
func defaultProtectors() *protector.Set {
	var s protector.Set
	s.Add(tpm.New(), protector.PreferenceHardware)
	if p := platformProtector(); p != nil {
		s.Add(p, protector.PreferencePlatform)
	}
	s.Add(file.New(), protector.PreferenceFallback)
	s.AddAll(protector.Registered())
	return &s
}
