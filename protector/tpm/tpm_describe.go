package tpm

import "github.com/securestore-go/securestore/protector"

// Describe implements protector.Describer, in the words of SECURITY.md's
// tpm section. The sealed blob is in the store's own database, so the
// protector has no files of its own.
func (tpmProtector) Describe(protector.Scope) protector.Description {
	return protector.Description{
		Verdict: "key-encryption key sealed to this machine's TPM 2.0: protects the store directory, a backup or a " +
			"whole disk image copied off the machine, and tampering; not any process on this machine that can open " +
			"the TPM device and read the store's files, nor a cleared TPM (keep an export)",
	}
}
