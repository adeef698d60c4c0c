package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
	"github.com/securestore-go/securestore/keyring"
	"github.com/securestore-go/securestore/keyring/keyname"
)

// importKeyringCommand is "securestore import-keyring"; its tests are in
// testdata/secretservice/import_keyring.txtar (they need a Secret Service).
var importKeyringCommand = &command{
	name:    "import-keyring",
	args:    []string{"SERVICE"},
	summary: "move go-keyring's, keytar's or secret-tool's items out of the Secret Service",
	help: `Move the items of the Secret Service's default collection (GNOME Keyring,
KWallet, KeePassXC) whose attribute "service" (or --attribute) is SERVICE
into a store: those that zalando/go-keyring ({service, username}), keytar
({service, account}) and libsecret's secret-tool (any attributes) wrote.

Each becomes an item of app "` + keyring.DefaultApp + `" (or --app), the app of the
go-keyring drop-in package github.com/securestore-go/securestore/keyring,
so that a program switched to it finds its secrets where it looks:
service SERVICE (or --service), key the item's attribute "username", else
"account" (or --key-attribute). Names outside A-Z a-z 0-9 . - are encoded
as that package does: any other byte becomes "_" and two hex digits
(alice@example.com is alice_40example.com); see its documentation.
Values up to 1 MiB are taken, as the package takes them.

Nothing changes unless every item can be moved: an item without the key
attribute, two items with the same key, an item the store already holds
with another value, or a failure while storing leaves the store and the
keyring as they were (items stored by this run are deleted again). Every
item is read back from the store; only then, and only with --delete, are
the originals deleted from the keyring. The output gives counts, never a
value.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var o keyringImport
		fs.StringVar(&o.attribute, "attribute", "service", "select the items whose attribute `NAME` is SERVICE")
		fs.StringVar(&o.keyAttribute, "key-attribute", "", "take each item's key from its attribute `NAME` (default \"username\", else \"account\")")
		fs.BoolVar(&o.delete, "delete", false, "delete the originals from the keyring once every item is stored and read back")
		definePasscodeFD(fs, &inv.secrets)
		return func(ctx context.Context, inv *invocation, args []string) error {
			o.value = args[0]
			return o.run(ctx, inv)
		}
	},
}

// keyringTimeout bounds the whole conversation with the Secret Service,
// prompts included.
const keyringTimeout = 2 * time.Minute

// keyringImport is one import-keyring: what it selects and where it puts
// it.
type keyringImport struct {
	attribute, value string
	keyAttribute     string
	delete           bool
}

// keyringItem is a Secret Service item a source found.
type keyringItem struct {
	id         string // the source's name for it (its D-Bus path)
	attributes map[string]string
}

// keyringSource is where import-keyring reads from: the Secret Service
// (keyring_source_secretservice.go), absent on other systems.
type keyringSource interface {
	search(attrs map[string]string) ([]keyringItem, error)
	secret(item keyringItem) ([]byte, error) // the caller wipes it
	remove(item keyringItem) error
	close()
}

// importEntry is one item to move.
type importEntry struct {
	item    keyringItem // import-keyring's original
	service string      // "" for the service of storeAll's opts
	key     string
	value   string
	existed bool // the store held this value under key before the run
}

func (o *keyringImport) run(ctx context.Context, inv *invocation) error {
	const cmd = "import-keyring"
	if inv.global.group != "" {
		return &usageError{command: cmd, msg: "--group does not apply: the items go into an app's own store"}
	}
	app := inv.global.app
	if app == "" {
		app = keyring.DefaultApp
	}
	service := inv.global.service
	if service == "" {
		service = keyname.Encode(o.value)
	}
	kctx, cancel := context.WithTimeout(ctx, keyringTimeout)
	defer cancel()
	src, err := openKeyringSource(kctx)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	defer src.close()
	found, err := src.search(map[string]string{o.attribute: o.value})
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	selection := fmt.Sprintf("%s=%q", o.attribute, o.value)
	if len(found) == 0 {
		fmt.Fprintf(inv.stdout, "The keyring has no items with %s; nothing to import.\n", selection)
		return nil
	}
	entries, err := o.entries(src, found)
	var input *inputError
	if errors.As(err, &input) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was imported", cmd, err)
	}

	cfg := securestore.Config{App: app, Dir: inv.global.dir, Protector: inv.global.protector, MaxValueBytes: keyring.DefaultMaxPasswordBytes}
	saved := inv.global.app
	inv.global.app = app // for the passcode prompt
	defer func() { inv.global.app = saved }()
	opts := &securestore.Options{KeychainService: service, KeychainAccessible: inv.global.accessible.class}
	err = credential.WithStore(ctx, cfg, func(s *securestore.Store) error {
		relock, err := inv.unlockIfLocked(ctx, s, cmd)
		if err != nil {
			return err
		}
		defer relock()
		return storeAll(ctx, s, opts, entries)
	})
	if err != nil {
		return fmt.Errorf("%s: %w; the store and the keyring are as they were", cmd, err)
	}
	fmt.Fprintf(inv.stdout, "Imported %d items with %s into app %q, service %q.\n", len(entries), selection, app, service)
	if !o.delete {
		fmt.Fprintf(inv.stdout, "The originals are still in the keyring; run again with --delete to remove them.\n")
		return nil
	}
	for i, e := range entries {
		if err := src.remove(e.item); err != nil {
			return fmt.Errorf("%s: every item is imported, but deleting the originals from the keyring stopped after %d of %d: %w",
				cmd, i, len(entries), err)
		}
	}
	fmt.Fprintf(inv.stdout, "Deleted %d items from the keyring.\n", len(entries))
	return nil
}

// entries reads the found items' keys and secrets, sorted by key, and
// checks them: every item has the key attribute, no two share a key.
func (o *keyringImport) entries(src keyringSource, found []keyringItem) ([]importEntry, error) {
	var entries []importEntry
	byKey := map[string]bool{}
	for i, item := range found {
		user, ok := o.keyOf(item)
		if !ok {
			return nil, &inputError{msg: fmt.Sprintf("import-keyring: item %d of %d (%s) has no attribute %s; nothing was imported", i+1, len(found), item.id, o.keyAttributeNames())}
		}
		key := keyname.Encode(user)
		if byKey[key] {
			return nil, &inputError{msg: fmt.Sprintf("import-keyring: two items have the key %q; select one with --key-attribute or remove the other; nothing was imported", key)}
		}
		byKey[key] = true
		secret, err := src.secret(item)
		if err != nil {
			return nil, err
		}
		entries = append(entries, importEntry{item: item, key: key, value: string(secret)})
		clear(secret)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	return entries, nil
}

// keyOf is the item's key attribute.
func (o *keyringImport) keyOf(item keyringItem) (string, bool) {
	if o.keyAttribute != "" {
		v, ok := item.attributes[o.keyAttribute]
		return v, ok
	}
	if v, ok := item.attributes["username"]; ok { // go-keyring
		return v, true
	}
	v, ok := item.attributes["account"] // keytar
	return v, ok
}

func (o *keyringImport) keyAttributeNames() string {
	if o.keyAttribute != "" {
		return fmt.Sprintf("%q", o.keyAttribute)
	}
	return `"username" or "account" (name another with --key-attribute)`
}

// storeAll stores every entry and reads each back. On any failure it
// deletes the items it added, so that the store is as it was, and
// refuses before writing anything when the store holds another value
// under one of the keys. It is shared by the import commands.
func storeAll(ctx context.Context, s *securestore.Store, base *securestore.Options, entries []importEntry) (err error) {
	optsOf := func(e importEntry) *securestore.Options {
		opts := *base
		if e.service != "" {
			opts.KeychainService = e.service
		}
		return &opts
	}
	for i := range entries {
		old, err := s.GetItem(ctx, entries[i].key, optsOf(entries[i]))
		switch {
		case errors.Is(err, securestore.ErrNotFound):
		case err != nil:
			return err
		case old != entries[i].value:
			return fmt.Errorf("the store already holds another value under key %q of service %q", entries[i].key, optsOf(entries[i]).KeychainService)
		default:
			entries[i].existed = true
		}
	}
	var added []importEntry
	defer func() {
		if err == nil {
			return
		}
		for _, e := range added {
			if derr := s.DeleteItem(ctx, e.key, optsOf(e)); derr != nil {
				err = fmt.Errorf("%w; and removing the items added so far failed: %v", err, derr)
				return
			}
		}
	}()
	for _, e := range entries {
		if e.existed {
			continue
		}
		if err := s.SetItem(ctx, e.key, e.value, optsOf(e)); err != nil {
			return fmt.Errorf("storing key %q: %w", e.key, err)
		}
		added = append(added, e)
	}
	for _, e := range entries {
		got, err := s.GetItem(ctx, e.key, optsOf(e))
		if err != nil {
			return fmt.Errorf("reading key %q back: %w", e.key, err)
		}
		if got != e.value {
			return fmt.Errorf("key %q reads back a different value: %w", e.key, securestore.ErrCorrupt)
		}
	}
	return nil
}
