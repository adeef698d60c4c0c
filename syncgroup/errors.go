package syncgroup

import (
	"errors"

	"github.com/securestore-go/securestore"
)

var (
	// ErrBadRecord: a value under the group's prefix that does not
	// authenticate or parse: a wrong key, truncated or altered bytes,
	// another group's record, a record moved to another item's key, or a
	// version too far past the local clock (securestore.ErrBadSyncRecord).
	// It changes nothing here and is recorded in the status.
	ErrBadRecord = securestore.ErrBadSyncRecord
	// ErrStaleChange: a replayed record older than the item's version
	// here (securestore.ErrStaleChange); nothing changed.
	ErrStaleChange = securestore.ErrStaleChange
	// ErrUnknownEpoch: a record sealed under a group key this device does
	// not hold (yet: a device waiting for approval; or any more: a revoked
	// one). It waits, sealed, until the key arrives.
	ErrUnknownEpoch = errors.New("a record under a group key this device does not hold")
	// ErrNotMember: this device holds no key of the group: it has not
	// joined, is waiting for approval, or was revoked.
	ErrNotMember = errors.New("this device is not a member of the group")
	// ErrNoGroup: no group at the prefix (Join), or this store has not
	// joined one (Status).
	ErrNoGroup = errors.New("no sync group")
	// ErrGroupExists: Create found a group at the prefix already.
	ErrGroupExists = errors.New("a sync group exists at the prefix")
	// ErrUnknownCode: Approve found no waiting device with the code, or
	// more than one.
	ErrUnknownCode = errors.New("no single waiting device has this code")
	// ErrPlaintextPassword: Config has a Password but no TLS, and an
	// endpoint that is not a loopback address: the password would cross
	// the network in clear. Nothing was sent.
	ErrPlaintextPassword = errors.New("an etcd password would be sent without TLS")
	// ErrUnavailable: etcd did not answer within the call's deadline.
	ErrUnavailable = errors.New("etcd is unavailable")
)
