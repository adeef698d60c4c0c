package keys

// SyncLocalKey derives the key that wraps a store's sync group secrets on
// this device (its device private key and the group keys it was given):
// they are as safe at rest as the device key that the protector holds.
func SyncLocalKey(device []byte, store string) []byte {
	return derive(device, "securestore sync local v1\x00"+store)
}
