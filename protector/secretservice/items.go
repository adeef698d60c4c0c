//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"context"
	"fmt"
	"sort"

	"github.com/godbus/dbus/v5"
)

// Items reads and deletes the items that other programs keep in the
// default collection (go-keyring, keytar and secret-tool write there), so
// that "securestore import-keyring" can move them into a store. It is not
// part of the protector: the protector touches only its own items.
//
// An Items holds one connection and one encrypted session (the same
// dh-ietf1024-sha256-aes128-cbc-pkcs7 session as the protector's); every
// call is bounded by the context given to OpenItems.
type Items struct {
	c    *ssClient
	sess *ssSession
}

// Item is one item of the default collection, as found by Search.
type Item struct {
	Path       string            // the item's D-Bus object path
	Label      string            // what keyring apps show
	Attributes map[string]string // what it is found by
}

// OpenItems connects to the Secret Service and opens a session. Close
// ends both. ctx bounds every call made through the Items.
func OpenItems(ctx context.Context) (*Items, error) {
	kp := drawKeyPair()
	c, err := dialSecretService(ctx)
	if err != nil {
		kp.discard()
		return nil, err
	}
	sess, err := c.openSessionWith(kp)
	if err != nil {
		c.close()
		return nil, err
	}
	return &Items{c: c, sess: sess}, nil
}

// Close ends the session and the connection.
func (it *Items) Close() {
	it.sess.close(it.c)
	it.c.close()
}

// Search returns the items of the default collection that have all of
// attrs, unlocked (through the service's prompt if the collection is
// locked), in the order of their paths.
func (it *Items) Search(attrs map[string]string) ([]Item, error) {
	coll, err := it.c.defaultCollection()
	if err != nil {
		return nil, err
	}
	var paths []dbus.ObjectPath
	if err := it.c.call(it.c.obj(coll), ssIfCollection+".SearchItems", attrs).Store(&paths); err != nil {
		return nil, ssErr(it.c.ctx, "search the keyring", err)
	}
	if len(paths) == 0 {
		return nil, nil
	}
	if err := it.c.ensureUnlocked(paths); err != nil {
		return nil, err
	}
	sort.Slice(paths, func(i, j int) bool { return paths[i] < paths[j] })
	items := make([]Item, 0, len(paths))
	for _, p := range paths {
		item := Item{Path: string(p)}
		if err := it.c.property(it.c.obj(p), ssIfItem, "Attributes", &item.Attributes); err != nil {
			return nil, ssErr(it.c.ctx, "read an item's attributes", err)
		}
		if err := it.c.property(it.c.obj(p), ssIfItem, "Label", &item.Label); err != nil {
			return nil, ssErr(it.c.ctx, "read an item's label", err)
		}
		items = append(items, item)
	}
	return items, nil
}

// Secret returns the secret of item. The caller wipes it.
func (it *Items) Secret(item Item) ([]byte, error) {
	var sec ssSecret
	if err := it.c.call(it.c.obj(dbus.ObjectPath(item.Path)), ssIfItem+".GetSecret", it.sess.path).Store(&sec); err != nil {
		return nil, ssErr(it.c.ctx, "read a keyring item", err)
	}
	secret, err := it.sess.decode(sec)
	clear(sec.Value)
	if err != nil {
		return nil, fmt.Errorf("secretservice: a keyring item's secret does not decrypt in the session: %w", err)
	}
	return secret, nil
}

// Delete deletes item.
func (it *Items) Delete(item Item) error {
	var prompt dbus.ObjectPath
	if err := it.c.call(it.c.obj(dbus.ObjectPath(item.Path)), ssIfItem+".Delete").Store(&prompt); err != nil {
		return ssErr(it.c.ctx, "delete a keyring item", err)
	}
	if prompt != ssNoPrompt {
		if dismissed, err := it.c.prompt(prompt); err != nil || dismissed {
			return fmt.Errorf("secretservice: deleting a keyring item needed a prompt that was not accepted")
		}
	}
	return nil
}

// Create adds an item with label, attributes and secret to the default
// collection, replacing one with the same attributes, as go-keyring's Set
// and secret-tool store do. (The import needs only Search, Secret and
// Delete; Create lets its tests make items that secret-tool refuses, such
// as secrets over its size limit.)
func (it *Items) Create(label string, attrs map[string]string, secret []byte) error {
	coll, err := it.c.defaultCollection()
	if err != nil {
		return err
	}
	props := map[string]dbus.Variant{
		ssIfItem + ".Label":      dbus.MakeVariant(label),
		ssIfItem + ".Attributes": dbus.MakeVariant(attrs),
	}
	sec, err := it.sess.encode(secret)
	if err != nil {
		return err
	}
	var item, prompt dbus.ObjectPath
	if err := it.c.call(it.c.obj(coll), ssIfCollection+".CreateItem", props, sec, true).Store(&item, &prompt); err != nil {
		return ssErr(it.c.ctx, "create a keyring item", err)
	}
	if prompt != ssNoPrompt {
		if dismissed, err := it.c.prompt(prompt); err != nil || dismissed {
			return fmt.Errorf("secretservice: creating a keyring item needed a prompt that was not accepted")
		}
	}
	return nil
}
