// Package tpm is the protector that seals each store's device key to the
// machine's TPM 2.0 (a Linux TPM device, or a simulator named by
// $SECURESTORE_TPM). New returns it; elsewhere it reports itself
// unavailable.
package tpm
