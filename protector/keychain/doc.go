// Package keychain is the protector that keeps the device key in the
// user's macOS login keychain. New exists on macOS only; the blob format
// (keychain_blob.go) builds everywhere, so that its fuzz target runs on
// any machine. UNTESTED ON REAL macOS.
package keychain
