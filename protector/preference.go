package protector

// Preferences for Register: Auto tries lower values first. The built-in
// protectors use these three tiers, so that "auto" means
// hardware → the platform's key store → key file, as docs/SECURITY.md
// promises. A protector of your own picks a value between them (or
// after PreferenceFallback, to be used only when named).
const (
	// PreferenceHardware is for keys sealed to hardware: the TPM.
	PreferenceHardware = 100
	// PreferencePlatform is for the platform's key store: the Secret
	// Service on Linux and BSD, the Keychain on macOS, DPAPI on Windows.
	PreferencePlatform = 200
	// PreferenceFallback is the key file, available everywhere.
	PreferenceFallback = 1000
)
