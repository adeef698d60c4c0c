// Package dpapi is the protector that keeps the device key with the
// Windows Data Protection API for the current user. New exists on Windows
// only; the blob format (dpapi_blob.go) builds everywhere, so that its
// fuzz target runs on any machine.
package dpapi
