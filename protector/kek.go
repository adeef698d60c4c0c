package protector

import "github.com/securestore-go/securestore/internal/record"

// Every built-in protector but the keychain keeps a 32-byte
// key-encryption key (KEK) where it protects things best (a key file, the
// TPM, the keyring, DPAPI) and seals the device key under it in software,
// with associated data that binds the protector and the store. A KEK that
// a key store hands back altered, or a blob moved to another store, then
// fails here, in the same authenticated way for every such protector. The
// keychain keeps the device key itself as the item's secret; its blob only
// names the item (protector/keychain).

// SealUnderKEK seals key under kek, bound to ad.
func SealUnderKEK(kek, key, ad []byte) ([]byte, error) {
	aead, err := record.NewAEAD(kek)
	if err != nil {
		return nil, err
	}
	return record.Seal(aead, key, ad), nil
}

// OpenUnderKEK opens what SealUnderKEK sealed; any mismatch of kek, ad or
// the sealed bytes is record.ErrFormat.
func OpenUnderKEK(kek, sealed, ad []byte) ([]byte, error) {
	aead, err := record.NewAEAD(kek)
	if err != nil {
		return nil, err
	}
	return record.Open(aead, sealed, ad)
}
