//go:build !unix

package main

// dirReadOnly reports false: on Windows, SQLite's own "readonly database"
// and the file system's errors name the cause.
func dirReadOnly(string) bool { return false }
