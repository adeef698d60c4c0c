// Package tpm is the protector that seals each store's device key to the
// machine's TPM 2.0 (a Linux TPM device, or a simulator named by
// $SECURESTORE_TPM). New returns it; elsewhere it reports itself
// unavailable.
//
// Besides protector.Protector it implements protector.PasscodeBinder (a
// passcode's secret sealed so that the TPM counts wrong passcodes,
// tpm_passcode.go) and protector.Counter (monotonic NV counters that tell
// a copy of a store from the current one, tpm_counter.go).
package tpm
