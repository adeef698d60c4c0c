package protector

import "context"

// Counter is implemented by a protector that holds monotonic counters
// outside the store's files (the TPM's NV counters), so that a copy of
// the files from before can be told from the current store: the store
// records the counter's value in its files with every commit it wants to
// anchor, and a store whose recorded value is behind the counter is a
// rollback.
//
// A counter only ever goes up. Its first value need not be 0 (a TPM
// starts a new counter at the highest value any counter on it has had),
// so the store compares values and never assumes where one starts.
type Counter interface {
	// CreateCounter defines a new counter for the store and returns its
	// blob (e.g. the NV index), which the store keeps.
	CreateCounter(ctx context.Context, scope Scope) (blob []byte, err error)
	// ReadCounter returns the counter's value.
	ReadCounter(ctx context.Context, scope Scope, blob []byte) (uint64, error)
	// IncrementCounter adds one and returns the new value.
	IncrementCounter(ctx context.Context, scope Scope, blob []byte) (uint64, error)
}

// CounterRemover is implemented by a Counter whose counters take up room
// outside the store (an NV index), so that securestore.Migrate can free it
// once the store has moved to another protector. Like Remover, it is best
// effort and tolerates a counter that is already gone.
type CounterRemover interface {
	RemoveCounter(ctx context.Context, scope Scope, blob []byte) error
}
