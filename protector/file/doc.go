// Package file is the protector of last resort: the device key sealed
// under a random secret kept in a 0600 key file in the store directory,
// bound to the machine's identity (internal/machineid). It works
// everywhere; New returns it. The smallest protector, and the one to copy
// for a new one.
package file
