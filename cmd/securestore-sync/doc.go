// Command securestore-sync keeps the synchronizable items of a securestore
// store (Options.Synchronizable) the same on every device of a sync group
// on an etcd cluster: package syncgroup, from the command line. See
// docs/SYNC.md for what etcd sees and how conflicts resolve.
//
// Usage:
//
//	securestore-sync [flags] create     make a group at --prefix, with this device in it
//	securestore-sync [flags] join       publish this device's key and print its join code
//	securestore-sync [flags] approve CODE
//	securestore-sync [flags] revoke DEVICE
//	securestore-sync [flags] status     the group, its devices, the revision applied
//	securestore-sync [flags] run        keep the store in sync until interrupted
//
// Users normally run it as "securestore sync ACTION": the securestore
// command finds this program next to itself or on $PATH and runs it with
// the same arguments, standard streams and exit status.
//
// It is a program of its own, as git's subcommands are, because the etcd
// client it links (gRPC and protobuf) costs every securestore command its
// start-up time and opens descriptors before main runs, which
// securestore's --passcode-fd check would take for ones passed to it.
// Install it with
//
//	go install github.com/securestore-go/securestore/cmd/securestore-sync@latest
package main
