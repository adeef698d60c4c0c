package keys

// PresenceKey derives a store's presence key from its
// WhenPasscodeSetThisDeviceOnly class key: the key that seals the items set
// with requireAuthentication. That class key is wrapped under the passcode
// KEK only, and exists only while a passcode is set, so the presence key is
// out of reach of anyone with the files and the device key but not the
// passcode. The securestore agent derives it only right after the user
// typed the passcode at a prompt, and wipes it when the proof of presence
// goes stale. The caller wipes the result.
func PresenceKey(passcodeClassKey []byte, store string) []byte {
	return derive(passcodeClassKey, "securestore presence key v1\x00"+store)
}
