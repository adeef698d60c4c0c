// Package keyring is a drop-in replacement for github.com/zalando/go-keyring
// that keeps its secrets in securestore: switching is one import line.
//
//	import "github.com/zalando/go-keyring"
//
// becomes
//
//	import "github.com/securestore-go/securestore/keyring"
//
// and Set, Get, Delete, DeleteAll, ListUsers, MockInit, MockRestore,
// MockInitWithError, ErrNotFound, ErrSetDataTooBig and the Keyring interface
// keep go-keyring's signatures and semantics (as of its ListUsers release):
//
//   - Get of a missing item and Delete of a missing item return ErrNotFound
//     itself, so err == keyring.ErrNotFound works (errors.Is with
//     securestore.ErrNotFound works as well);
//   - DeleteAll("") deletes nothing and returns ErrNotFound, as go-keyring
//     does on every platform, so that a missing service name never wipes
//     a keyring; DeleteAll of a service with no items returns nil;
//   - ListUsers returns the users of one service sorted, never nil, and
//     ListUsers("") returns an empty list; like go-keyring's real
//     backends it leaves out the empty user name;
//   - Set of a password longer than the limit returns ErrSetDataTooBig and
//     leaves the stored password as it was.
//
// The mock (MockInit, MockInitWithError) is go-keyring's in-memory map,
// with its semantics: MockRestore goes back to the securestore store.
//
// # Where the secrets go
//
// go-keyring items live in the user's keyring, shared by every program of
// that user by service name. The faithful mapping is one securestore app
// for all of them, DefaultApp ("go-keyring"), where go-keyring's service
// is securestore's KeychainService and the user is the key. Two programs
// that both switch therefore still see each other's items, as they did.
// The store is in securestore's default directory ($SECURESTORE_DIR, else
// securestore.DefaultDir()) under the default protector, and is opened on
// the first call; Configure picks another app, directory or protector,
// and Open gives a Store of one's own.
//
// Services and users may be any string, but securestore names are
// A-Z a-z 0-9 . _ -: both are mapped with package keyname, which keeps
// letters, digits, '.' and '-' as they are and writes every other byte as
// '_' and two hex digits ("alice@example.com" is stored as
// "alice_40example.com"; the empty string as "_"). The mapping is
// reversible, so ListUsers returns the names as they were set. Items
// written under this app by other means, whose names are not such
// encodings, are left out of ListUsers (DeleteAll still deletes them).
//
// # Size limit
//
// go-keyring's limit depends on the platform: about 3000 bytes for
// service, user and password together on macOS, 2560 bytes of password on
// Windows, none on Linux. This package has one limit everywhere, on the
// password alone: DefaultMaxPasswordBytes (1 MiB) unless
// Config.MaxPasswordBytes says otherwise. So a password that fit on Linux
// fits here, and go-keyring's TestSetTooLong password (10 002 bytes), which
// fails on macOS and Windows, is stored.
package keyring
