package protector

import "context"

// A protector may implement these optional interfaces as well as
// Protector. The store checks for them with a type assertion, so a
// protector that has nothing to say simply leaves them out.

// Remover is implemented by a protector that keeps state of its own beside
// the blob: a keychain item, a sealed object. securestore.Migrate calls
// Remove after the store has stopped referring to blob (the new
// protector's blob is committed), to clean up. It is best effort: a crash
// or an error before it only leaves the old state behind, never loses the
// key, and Remove must tolerate state that is already gone.
//
// A protector whose blob is all there is (DPAPI), or whose state is shared
// by several stores (the file protector's key file serves every store in
// its directory), does not implement Remover.
type Remover interface {
	Remove(ctx context.Context, scope Scope, blob []byte) error
}

// Describer is implemented by a protector that can tell a user, in
// `securestore doctor`, where it keeps state and what it defends against.
type Describer interface {
	Describe(scope Scope) Description
}

// Description is what `securestore doctor` shows about a protector.
type Description struct {
	// Files are the protector's own files on disk for this store (a key
	// file, a sealed blob), whose modes doctor checks and shows.
	Files []string
	// Verdict is one honest line on what this protection defends against
	// and what it does not.
	Verdict string
}
