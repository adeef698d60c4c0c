//go:build linux || freebsd || openbsd || netbsd

// Package secretservice is the protector that keeps each store's
// key-encryption key in the desktop's Secret Service (GNOME Keyring,
// KWallet, KeePassXC) over D-Bus. It exists on Linux and the BSDs; New
// returns it.
package secretservice
