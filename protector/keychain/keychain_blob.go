package keychain

// The Keychain protector's blob (keychain_darwin.go), laid out and split
// here without build tags, so that its parsing is tested, and fuzzed, on
// every platform. It holds no key, only which item has it:
//
//	"SSKC" | version 1 | id[16]
//
// The item's account is "STORE/ID" with ID in hex.
const (
	keychainMagic   = "SSKC"
	keychainVersion = 1
	keychainIDSize  = 16
)

// appendKeychainBlob lays out the blob that names item id.
func appendKeychainBlob(id []byte) []byte {
	blob := append([]byte(keychainMagic), keychainVersion)
	return append(blob, id...)
}

// splitKeychainBlob returns the item id that blob names (a slice of it),
// or false when blob is not a keychain reference of this version.
func splitKeychainBlob(blob []byte) (id []byte, ok bool) {
	if len(blob) != len(keychainMagic)+1+keychainIDSize || string(blob[:len(keychainMagic)]) != keychainMagic ||
		blob[len(keychainMagic)] != keychainVersion {
		return nil, false
	}
	return blob[len(keychainMagic)+1:], true
}
