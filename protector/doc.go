// Package protector holds the device key of a securestore store at rest.
//
// Every store has one random 32-byte device key; everything else in the
// store is derived from it or wrapped by it (docs/SECURITY.md). A
// Protector decides where that key lives. The store keeps whatever blob
// Wrap returns, in its own database, and hands it back to Unwrap on Open.
//
// This package is the contract: the Protector interface and its optional
// interfaces (Remover, Describer; PasscodeBinder and Counter, which let
// hardware count wrong passcodes and anchor a store against rollback),
// the errors, the preference tiers, the deadline helper for OS calls
// (CallOS), KEK sealing (SealUnderKEK), and Set, the ordered set of
// protectors that "auto" chooses from. Each
// built-in protector is a package of its own, with a New function:
//
//	protector/tpm            sealed to the TPM 2.0 (Linux)
//	protector/secretservice  GNOME Keyring, KWallet, KeePassXC (Linux, BSD)
//	protector/keychain       the login keychain (macOS; untested on real macOS)
//	protector/dpapi          Windows DPAPI for the current user
//	protector/file           a key file bound to the machine: the fallback
//
// securestore builds its default set in one place, the root package's
// protectors.go: tpm (PreferenceHardware), then the platform's key store
// (PreferencePlatform: secretservice, keychain or dpapi, by GOOS), then
// file (PreferenceFallback), then whatever the program added with
// Register. "auto" tries them in that order.
//
// A new built-in protector is one folder: copy protector/file (the
// smallest), give it a New function and its own tests, and add it to the
// default set in protectors.go (or protectors_GOOS.go, for one platform).
//
// Which ones a machine has, and why the others were passed over, is what
// `securestore doctor` shows. A store records its protector; naming
// another one (Config.Protector, $SECURESTORE_PROTECTOR) is refused until
// the store is moved with securestore.Migrate (`securestore migrate`).
//
// # Your own protector
//
// A protector is four methods, so a cloud KMS, a hardware token or an HSM
// can hold the device key. Wrap must return a blob that Unwrap turns back
// into the same key, for the same Scope only; Unwrap never creates state;
// errors wrap ErrUnavailable, ErrKeyMissing or ErrKeyCorrupt where they
// apply, and never contain the key. Calls take a context with a deadline:
// honour it (a network call) or run the call through a goroutine.
//
//	type kms struct{ client *mykms.Client }
//
//	func (kms) Name() string { return "mykms" }
//
//	func (k kms) Available(ctx context.Context) error {
//		if err := k.client.Ping(ctx); err != nil {
//			return fmt.Errorf("mykms: %v: %w", err, protector.ErrUnavailable)
//		}
//		return nil
//	}
//
//	func (k kms) Wrap(ctx context.Context, s protector.Scope, key []byte) ([]byte, error) {
//		// The store's identity as encryption context binds the blob to it.
//		return k.client.Encrypt(ctx, "securestore", key, s.Store)
//	}
//
//	func (k kms) Unwrap(ctx context.Context, s protector.Scope, blob []byte) ([]byte, error) {
//		key, err := k.client.Decrypt(ctx, "securestore", blob, s.Store)
//		if errors.Is(err, mykms.ErrInvalidCiphertext) {
//			return nil, fmt.Errorf("mykms: %w", protector.ErrKeyCorrupt)
//		}
//		return key, err
//	}
//
// Register it, from main or an init function, before opening stores, with
// a preference: below PreferenceFallback and "auto" may pick it; above,
// only stores that name it use it:
//
//	protector.Register(kms{client}, protector.PreferencePlatform+50)
//
// and select it when opening a store:
//
//	s, err := securestore.Open(ctx, securestore.Config{App: "com.example.notes", Protector: "mykms"})
//
// Optionally, implement Remover (to delete your state after a store moves
// away from your protector) and Describer (files and a one-line verdict
// for doctor).
//
// Then run the whole conformance suite over it, as the built-in
// protectors do (the example of this package does it for a toy protector):
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
//			cfg.Protector = "mykms"
//			return securestore.Open(ctx, cfg)
//		})
//	}
package protector
