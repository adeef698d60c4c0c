//go:build linux || freebsd || openbsd || netbsd

package secretservice

import "github.com/securestore-go/securestore/protector"

// Describe implements protector.Describer, in the words of SECURITY.md's
// secretservice section. The key-encryption key is a keyring item, not a
// file the store directory holds.
func (secretService) Describe(protector.Scope) protector.Description {
	return protector.Description{
		Verdict: "key-encryption key in the desktop keyring (Secret Service): protects the store directory, a backup " +
			"or a stolen powered-off disk, and other users of the machine; not any process of your session while " +
			"the keyring is unlocked, nor root, nor a deleted or reset keyring",
	}
}
