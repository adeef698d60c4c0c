//go:build linux || freebsd || openbsd || netbsd

// Package secretservice is the protector that keeps each store's
// key-encryption key in the desktop's Secret Service (GNOME Keyring,
// KWallet, KeePassXC) over D-Bus. It exists on Linux and the BSDs; New
// returns it.
//
// Items, apart from the protector, reads and deletes other programs' items
// of the default collection (what go-keyring, keytar and secret-tool
// wrote), for "securestore import-keyring".
package secretservice
