// Package syncgroup keeps a store's synchronizable items (those set with
// securestore.Options.Synchronizable) the same on every device of a sync
// group, through an etcd cluster that sees only ciphertext.
//
// Reads never leave the device: GetItem reads the local store, whatever
// the network does. Writes are local first (durable when SetItem returns,
// as for any item), then pushed by the Group that runs in the process
// that has the store open; changes by other devices arrive by etcd watch
// and are applied locally. docs/SYNC.md has the design: what etcd sees,
// how conflicts resolve, what a revoked device keeps.
//
// To use it:
//
//	g, err := syncgroup.Open(ctx, store, syncgroup.Config{Endpoints: eps, Prefix: "/securestore/team/"})
//	// first device:       err = g.Create(ctx)
//	// every other device: code, err := g.Join(ctx)  (print code), then on a
//	//                     member: err = member.Approve(ctx, code)
//	go g.Run(ctx) // until ctx ends: push, watch, apply, catch up
//
// Open again after a restart: the group, the device's key pair (wrapped by
// the store's device key, so held by its protector) and the group keys are
// kept in the store.
package syncgroup
