// Package credential holds what the git and docker credential helpers and
// the securestore import commands share: the compact encoding of an item's
// value, the parts that item keys are made of, the messages for a locked
// store and an oversized credential, and WithStore, which the securestore
// CLI uses for every command too. The protocols themselves are in the
// subpackages git and docker.
package credential
