//go:build !unix

package pinentry

// canOpenTTY: there are no terminal devices to name here.
func canOpenTTY(string) bool { return false }
