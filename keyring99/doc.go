// Package keyring99 is a drop-in replacement for github.com/99designs/keyring
// that keeps its items in securestore: switching is one import line,
//
//	import "github.com/99designs/keyring"
//
// becomes
//
//	import keyring "github.com/securestore-go/securestore/keyring99"
//
// and the rest of the program compiles unchanged: Item, Metadata, Keyring,
// Config, the Err* values and the helpers a program names (PromptFunc,
// FixedStringPrompt, ArrayKeyring, the backend names) are 99designs'
// own, re-exported, and Open returns a Keyring backed by securestore
// whatever Config.AllowedBackends says.
//
// # Where items go
//
// Open puts every item in securestore app DefaultApp ("99designs-keyring"),
// with Config.ServiceName as securestore's KeychainService and the item's
// Key as securestore's key, both mapped into securestore's name alphabet
// by package keyring/keyname (letters, digits, '.' and '-' kept, every
// other byte written as '_' and two hex digits, the empty string as "_").
// The mapping is reversible, so Keys returns keys as they were set. The
// store is in $SECURESTORE_DIR (else securestore.DefaultDir()) under
// $SECURESTORE_PROTECTOR (else the best protector available); OpenStore
// chooses app, directory and protector. The other Config fields name
// 99designs' own backends and are ignored.
//
// # How an item is stored
//
// securestore values are strings and Item.Data is any bytes, so the value
// is a small JSON envelope, versioned ("v":1): Data as standard base64 (as
// encoding/json writes a []byte), Label, Description, the two Keychain*
// flags, and the time of the Set (UTC), which GetMetadata returns as
// ModificationTime. Get returns the Item as it was set, with Key filled
// in; a nil Data reads back nil and an empty one empty.
// KeychainNotSynchronizable also chooses the securestore class: such an
// item is WhenUnlockedThisDeviceOnly, so it never leaves this device in a
// backup, as a non-synchronizable keychain item never leaves it through
// iCloud; other items are WhenUnlocked, securestore's default.
//
// # Semantics
//
// As 99designs' keychain, wincred, pass and keyctl backends: Get and
// Remove of a missing key return ErrKeyNotFound itself; Keys returns the
// keys of the service, sorted, never nil. GetMetadata returns, like the
// keychain backend, Metadata with an Item holding Key, Label, Description
// and the flags (Data empty) and the ModificationTime; it returns
// ErrKeyNotFound for a missing key and ErrMetadataNeedsCredentials while
// the store is locked by a passcode. Data is limited to
// DefaultMaxDataBytes (1 MiB) unless StoreConfig.MaxDataBytes says
// otherwise; a longer Set fails with an error matching
// securestore.ErrValueTooLarge and keeps the stored item.
package keyring99
