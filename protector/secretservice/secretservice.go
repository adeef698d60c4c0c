//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/godbus/dbus/v5"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/protector"
)

// secretService keeps each store's device key safe with the desktop's
// Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus.
//
// Wrap creates one item per store in the default collection (the "login"
// keyring, unlocked when the user logs in) holding a random 32-byte
// key-encryption key, and returns the device key sealed under it, bound to
// the store. Unwrap finds that item again by the random id recorded in the
// blob, so two stores, two store directories or two wraps never share or
// clash over an item. Secrets cross the bus encrypted (see
// secretservice_crypto.go).
//
// It defends against anyone who has the user's files but not the user's
// unlocked session: the keyring is encrypted with the login password. It
// does not defend against other programs in the user's session, which can
// ask the unlocked keyring for the item (docs/SECURITY.md).
type secretService struct{}

// New returns the secretservice protector.
func New() protector.Protector { return secretService{} }

// Item attributes. Unwrap searches by application, store and id; the
// directory and label are there for the person who finds the item in
// their keyring app.
const (
	ssAttrApplication = "application"
	ssAttrStore       = "securestore-store"
	ssAttrDir         = "securestore-dir"
	ssAttrID          = "securestore-id"
	ssApplication     = "securestore"
)

// Name implements protector.Protector.
func (secretService) Name() string { return "secretservice" }

// Available implements protector.Protector: the session bus answers, the Secret
// Service answers on it (starting it if the bus can), and it has a
// default collection to put items in. A locked collection is available:
// Wrap and Unwrap ask to unlock it.
func (secretService) Available(ctx context.Context) error {
	c, err := dialSecretService(ctx)
	if err != nil {
		return err
	}
	defer c.close()
	_, err = c.defaultCollection()
	return err
}

// Wrap implements protector.Protector.
func (p secretService) Wrap(ctx context.Context, scope protector.Scope, key []byte) ([]byte, error) {
	kp := drawKeyPair() // while the connection is made (see Unwrap)
	c, err := dialSecretService(ctx)
	if err != nil {
		kp.discard()
		return nil, err
	}
	defer c.close()
	coll, err := c.defaultCollection()
	if err != nil {
		kp.discard()
		return nil, err
	}
	var locked bool
	if err := c.property(c.obj(coll), ssIfCollection, "Locked", &locked); err != nil {
		kp.discard()
		return nil, ssErr(ctx, "read whether the default collection is locked", err)
	}
	if locked {
		if err := c.ensureUnlocked([]dbus.ObjectPath{coll}); err != nil {
			kp.discard()
			return nil, err
		}
	}
	sess, err := c.openSessionWith(kp)
	if err != nil {
		return nil, err
	}
	defer sess.close(c)

	var id [ssIDSize]byte
	kek := make([]byte, 32)
	defer clear(kek)
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	if _, err := rand.Read(kek); err != nil {
		return nil, err
	}
	attrs := ssAttributes(scope, id)
	attrs[ssAttrDir] = scope.Dir
	props := map[string]dbus.Variant{
		ssIfItem + ".Label":      dbus.MakeVariant("securestore device key for " + scope.Store + " in " + scope.Dir),
		ssIfItem + ".Attributes": dbus.MakeVariant(attrs),
	}
	secret, err := sess.encode(kek)
	if err != nil {
		return nil, err
	}
	var item, prompt dbus.ObjectPath
	// replace=true: the id is fresh, so the only item this can replace is
	// the one of an earlier try of this same call (see transientRetries).
	if err := c.call(c.obj(coll), ssIfCollection+".CreateItem", props, secret, true).Store(&item, &prompt); err != nil {
		return nil, ssErr(ctx, "create the keyring item", err)
	}
	if prompt != ssNoPrompt {
		dismissed, err := c.prompt(prompt)
		if err != nil || dismissed {
			return nil, fmt.Errorf("secretservice protector: creating the keyring item needed a prompt that was not accepted: %w", protector.ErrLocked)
		}
	}
	// Read the item back the way Unwrap will, so that a service that
	// stores items where it cannot find them fails now, not at next Open.
	back, err := p.readKEK(c, sess, scope, id)
	if err == nil && !hmac.Equal(back, kek) {
		err = fmt.Errorf("secretservice protector: it reads back a different secret: %w", protector.ErrKeyCorrupt)
	}
	clear(back)
	if err != nil {
		// No blob will ever name this item: do not leave it behind.
		c.call(c.obj(item), ssIfItem+".Delete")
		return nil, fmt.Errorf("secretservice protector: the new keyring item does not read back: %w", err)
	}
	sealed, err := protector.SealUnderKEK(kek, key, record.ProtectorAD(p.Name(), scope.Store))
	if err != nil {
		return nil, err
	}
	return encodeSSBlob(id, sealed), nil
}

// Unwrap implements protector.Protector.
func (p secretService) Unwrap(ctx context.Context, scope protector.Scope, blob []byte) ([]byte, error) {
	id, sealed, err := parseSSBlob(blob)
	if err != nil {
		return nil, err
	}
	// Every command that opens a store pays for this call, so it keeps
	// the work that does not depend on an answer off the critical path:
	// our half of the key agreement (a 1024-bit modular exponentiation) is
	// drawn while the connection is made, the search goes out together
	// with OpenSession (it needs no session), and the session key is
	// derived while GetSecret is on the wire. The calls and the
	// cryptography are the same as one after the other.
	kp := drawKeyPair()
	c, err := dialSecretService(ctx)
	if err != nil {
		kp.discard()
		return nil, err
	}
	defer c.close()
	search := c.start(c.svc, ssIfService+".SearchItems", ssAttributes(scope, id))
	sess, err := c.openSessionWith(kp)
	if err != nil {
		return nil, err
	}
	defer sess.close(c)
	kek, err := p.readKEKFound(c, sess, scope, id, search)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	key, err := protector.OpenUnderKEK(kek, sealed, record.ProtectorAD(p.Name(), scope.Store))
	if err != nil {
		return nil, fmt.Errorf("secretservice protector: the keyring item of %s does not open its wrapped device key "+
			"(the item's secret or the store's blob was altered): %w", scope.Store, protector.ErrKeyCorrupt)
	}
	return key, nil
}

// Remove implements protector.Remover: it deletes the keyring item that blob names,
// once the store no longer uses it (after a migration, or when another
// process created the store first). An item already gone is not an error.
func (p secretService) Remove(ctx context.Context, scope protector.Scope, blob []byte) error {
	id, _, err := parseSSBlob(blob)
	if err != nil {
		return err
	}
	c, err := dialSecretService(ctx)
	if err != nil {
		return err
	}
	defer c.close()
	var unlocked, locked []dbus.ObjectPath
	if err := c.call(c.svc, ssIfService+".SearchItems", ssAttributes(scope, id)).Store(&unlocked, &locked); err != nil {
		return ssErr(ctx, "search the keyring", err)
	}
	for _, item := range append(unlocked, locked...) {
		var prompt dbus.ObjectPath
		if err := c.call(c.obj(item), ssIfItem+".Delete").Store(&prompt); err != nil {
			if isDBusError(err, "org.freedesktop.Secret.Error.NoSuchObject") {
				continue
			}
			return ssErr(ctx, "delete the keyring item", err)
		}
		if prompt != ssNoPrompt {
			if dismissed, err := c.prompt(prompt); err != nil || dismissed {
				return fmt.Errorf("secretservice protector: deleting the keyring item needed a prompt that was not accepted: %w", protector.ErrLocked)
			}
		}
	}
	return nil
}

// readKEK finds the one item of (scope, id), unlocking it if needed, and
// returns its secret.
func (p secretService) readKEK(c *ssClient, sess *ssSession, scope protector.Scope, id [ssIDSize]byte) ([]byte, error) {
	return p.readKEKFound(c, sess, scope, id, c.start(c.svc, ssIfService+".SearchItems", ssAttributes(scope, id)))
}

// readKEKFound is readKEK with its SearchItems call already sent.
func (p secretService) readKEKFound(c *ssClient, sess *ssSession, scope protector.Scope, id [ssIDSize]byte, search *ssStarted) ([]byte, error) {
	var unlocked, locked []dbus.ObjectPath
	if err := c.reply(search).Store(&unlocked, &locked); err != nil {
		return nil, ssErr(c.ctx, "search the keyring", err)
	}
	switch n := len(unlocked) + len(locked); {
	case n == 0:
		return nil, fmt.Errorf("secretservice protector: the keyring item of %s (securestore-id %x) is gone: "+
			"deleted from the keyring, or the keyring was reset; the device key cannot be recovered: %w", scope.Store, id, protector.ErrKeyMissing)
	case n > 1:
		return nil, fmt.Errorf("secretservice protector: %d keyring items claim to be the one of %s (securestore-id %x): %w",
			n, scope.Store, id, protector.ErrKeyCorrupt)
	}
	if len(locked) > 0 {
		if err := c.ensureUnlocked(locked); err != nil {
			return nil, err
		}
		unlocked = locked
	}
	var sec ssSecret
	if err := c.call(c.obj(unlocked[0]), ssIfItem+".GetSecret", sess.path).Store(&sec); err != nil {
		if isDBusError(err, "org.freedesktop.Secret.Error.NoSuchObject") {
			return nil, fmt.Errorf("secretservice protector: the keyring item of %s vanished while being read: %w", scope.Store, protector.ErrKeyMissing)
		}
		return nil, ssErr(c.ctx, "read the keyring item", err)
	}
	if _, err := sess.sessionKey(); err != nil {
		clear(sec.Value)
		return nil, err // the session failed, not the item
	}
	kek, err := sess.decode(sec)
	clear(sec.Value)
	if err != nil || len(kek) != 32 {
		clear(kek)
		return nil, fmt.Errorf("secretservice protector: the keyring item of %s does not hold a key: %w", scope.Store, protector.ErrKeyCorrupt)
	}
	return kek, nil
}

// ssAttributes are the attributes that Unwrap searches by.
func ssAttributes(scope protector.Scope, id [ssIDSize]byte) map[string]string {
	return map[string]string{
		ssAttrApplication: ssApplication,
		ssAttrStore:       scope.Store,
		ssAttrID:          hex.EncodeToString(id[:]),
	}
}

// Blob layout (docs/FORMAT.md, "secretservice protector blob"):
//
//	version 1 | id[16] | sealed device key
//
// id is the item's securestore-id attribute; sealed is record.Seal of the
// device key under the item's secret, with ProtectorAD("secretservice",
// store) as associated data.
const (
	ssBlobVersion = 1
	ssIDSize      = 16
)

func encodeSSBlob(id [ssIDSize]byte, sealed []byte) []byte {
	b := make([]byte, 0, 1+ssIDSize+len(sealed))
	b = append(b, ssBlobVersion)
	b = append(b, id[:]...)
	return append(b, sealed...)
}

func parseSSBlob(blob []byte) (id [ssIDSize]byte, sealed []byte, err error) {
	if len(blob) == 0 {
		return id, nil, fmt.Errorf("secretservice protector: the store has no wrapped device key: %w", protector.ErrKeyMissing)
	}
	if blob[0] != ssBlobVersion || len(blob) < 1+ssIDSize+record.Overhead {
		return id, nil, fmt.Errorf("secretservice protector: the wrapped device key is malformed: %w", protector.ErrKeyCorrupt)
	}
	copy(id[:], blob[1:])
	return id, blob[1+ssIDSize:], nil
}
