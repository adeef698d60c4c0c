package securestore

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"filippo.io/age"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
)

// An export is an age file (https://age-encryption.org, scrypt recipient)
// whose plaintext is JSON lines: a header, one line per item, and a
// trailer with the item count, so that a truncated file is detected even
// before age's own authentication would catch it. docs/FORMAT.md has the
// fields.

const exportFormat = "securestore-export"

// exportWorkFactor is scrypt's log2(N) for the passphrase: age's default,
// about a second and 256 MiB. Tests lower it.
var exportWorkFactor = 18

type exportHeader struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	App     string    `json:"app"`
	Created time.Time `json:"created"`
}

type exportItem struct {
	Group   string `json:"group,omitempty"` // "" for the app's own store
	Service string `json:"service"`
	Key     string `json:"key"`
	Class   string `json:"class"`
	Value   []byte `json:"value,omitempty"`  // the value, for items that may migrate
	Device  []byte `json:"device,omitempty"` // ThisDeviceOnly: the source device key's fingerprint
	Sealed  []byte `json:"sealed,omitempty"` // ThisDeviceOnly: the value sealed under the source device key
	End     bool   `json:"end,omitempty"`    // the trailer
	Items   int    `json:"items,omitempty"`  // the trailer: how many items came before it
}

// Export writes every item of the app's store and of its access groups to
// w, encrypted to passphrase (age, scrypt), which is wiped before Export
// returns. Items of the ThisDeviceOnly classes are carried sealed under
// this store's device key: they restore only onto this device. Export
// reads every value, so a store with a passcode must be unlocked
// (ErrLocked otherwise).
func (s *Store) Export(ctx context.Context, w io.Writer, passphrase []byte) error {
	defer clear(passphrase)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("securestore: export: %w", err)
	}
	if err := s.export(ctx, w, passphrase); err != nil {
		return fmt.Errorf("securestore: export: %w", err)
	}
	return nil
}

func (s *Store) export(ctx context.Context, w io.Writer, passphrase []byte) error {
	if len(passphrase) == 0 {
		return fmt.Errorf("%w: the passphrase is empty", ErrInvalidOption)
	}
	recipient, err := age.NewScryptRecipient(string(passphrase))
	if err != nil {
		return err
	}
	recipient.SetWorkFactor(exportWorkFactor)
	aw, err := age.Encrypt(w, recipient)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(aw, 64<<10)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(exportHeader{Format: exportFormat, Version: 1, App: s.cfg.app, Created: time.Now().UTC()}); err != nil {
		return err
	}
	dbs, err := s.existingDBs(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, ev := range dbs {
		err := ev.v.exportItems(ctx, ev.group, func(it *exportItem) error {
			n++
			return enc.Encode(it)
		})
		if err != nil {
			return err
		}
	}
	if err := enc.Encode(exportItem{End: true, Items: n}); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return aw.Close()
}

// exportItems calls emit with every item of the store, in clear or, for
// ThisDeviceOnly classes, sealed for this device.
func (v *storeDB) exportItems(ctx context.Context, group string, emit func(*exportItem) error) error {
	tr := v.transfer()
	return storageErr(v.db.Scan(ctx, func(row *storage.Item) error {
		service, key, err := v.meta.OpenName(row.ID, row.Name)
		if err != nil {
			return fmt.Errorf("%w: an item name does not authenticate", ErrCorrupt)
		}
		class := Accessibility(row.Class)
		aead, err := v.classKey(class)
		if err != nil {
			return fmt.Errorf("%q (service %q in %s): %w", key, service, v.describe(), err)
		}
		ad := record.ItemAD(v.id, service, key, row.Class)
		value, err := record.Open(aead, row.Value, ad)
		if err != nil {
			return fmt.Errorf("%w: the value of %q (service %q in %s) does not authenticate", ErrCorrupt, key, service, v.describe())
		}
		defer clear(value)
		it := &exportItem{Group: group, Service: service, Key: key, Class: class.String()}
		if class.ThisDeviceOnly() {
			it.Device, it.Sealed = tr.fingerprint, record.Seal(tr.aead, value, ad)
		} else {
			it.Value = value
		}
		return emit(it)
	}))
}

// transfer is how one store carries its ThisDeviceOnly values in an
// export: sealed under its transfer KEK, named by its device fingerprint.
type transfer struct {
	aead        cipher.AEAD
	fingerprint []byte
}

// transfer derives the store's transfer cipher, wiping the raw KEK, and
// its device fingerprint.
func (v *storeDB) transfer() transfer {
	kek := keys.TransferKEK(v.device, v.id)
	defer keys.Wipe(kek)
	aead, err := record.NewAEAD(kek)
	if err != nil {
		panic(err) // derived keys are always keys.Size bytes
	}
	return transfer{aead, keys.Fingerprint(v.device, v.id)}
}

// existingDB is a store that an export covers, with its group name.
type existingDB struct {
	group string // "" for the app's own store
	v     *storeDB
}

// existingDBs returns the app's store and every access-group store
// that exists, without creating any.
func (s *Store) existingDBs(ctx context.Context) ([]existingDB, error) {
	out := []existingDB{{"", s.own}}
	groups := make([]string, 0, len(s.cfg.groups))
	for g := range s.cfg.groups {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		if _, err := os.Stat(storeFile(s.cfg.dir, "group", g)); err != nil {
			continue
		}
		v, err := s.storeFor(ctx, g)
		if err != nil {
			return nil, err
		}
		out = append(out, existingDB{g, v})
	}
	return out, nil
}

// ImportResult says what an import did.
type ImportResult struct {
	Restored int // items written (replacing any with the same identity)
	Skipped  int // ThisDeviceOnly items from another device, and WhenPasscodeSet items where no passcode is set
}

// Import restores an export made by Export, replacing items with the same
// identity, and returns how many items it restored. See ImportReport.
func (s *Store) Import(ctx context.Context, r io.Reader, passphrase []byte) (int, error) {
	res, err := s.ImportReport(ctx, r, passphrase)
	return res.Restored, err
}

// ImportReport restores an export made by Export and says how many items
// it restored and skipped. The passphrase is wiped before it returns.
//
// Items go back to the store they came from: the app's own (whatever the
// exporting app was called) or the access group they were in, which must
// be in Config.AccessGroups (ErrNotEntitled otherwise). ThisDeviceOnly
// items restore only onto the device they came from and are skipped
// elsewhere. The import is all or nothing: a wrong passphrase
// (ErrWrongPasscode), a damaged or truncated file (ErrCorrupt), a locked
// class (ErrLocked) or a value over MaxValueBytes leaves the store as it
// was. Each target store commits in one transaction, one store after the
// other: only a disk failure between two stores' commits can keep part of
// the file, and importing it again completes it.
func (s *Store) ImportReport(ctx context.Context, r io.Reader, passphrase []byte) (ImportResult, error) {
	defer clear(passphrase)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return ImportResult{}, fmt.Errorf("securestore: import: %w", err)
	}
	res, err := s.importItems(ctx, r, passphrase)
	if err != nil {
		return ImportResult{}, fmt.Errorf("securestore: import: %w", err)
	}
	return res, nil
}

// maxExportLine bounds one line of an export: the largest value the store
// accepts, base64-encoded, with room for its names.
const maxExportLine = 2*MaxValueBytesLimit + 1<<20

// importMaxWorkFactor is the largest scrypt work factor (log2 N) an
// import accepts: age's own default, 22 (about 15 s and 4 GiB), well above
// the 18 that Export writes. Tests lower it.
var importMaxWorkFactor = 22

func (s *Store) importItems(ctx context.Context, r io.Reader, passphrase []byte) (ImportResult, error) {
	identity, err := age.NewScryptIdentity(string(passphrase))
	if err != nil {
		return ImportResult{}, err
	}
	identity.SetMaxWorkFactor(importMaxWorkFactor)
	ar, err := age.Decrypt(r, identity)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return ImportResult{}, fmt.Errorf("%w: the passphrase does not open this export", ErrWrongPasscode)
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("%w: not a securestore export: %v", ErrCorrupt, err)
	}
	// One transaction per target store, each committed in turn once the
	// trailer has proved the file complete.
	imp := &importer{s: s, txs: map[*storeDB]*storage.Tx{}, transfers: map[*storeDB]transfer{}}
	defer imp.rollback()
	res, err := readExport(ar, func(it *exportItem, class Accessibility) (bool, error) {
		return imp.put(ctx, it, class)
	})
	if err != nil {
		return res, err
	}
	return res, imp.commit()
}

// readExport reads the plaintext of an export: the header, the items,
// each handed to put once its class and names are known to be valid, and
// the trailer. put reports whether it restored the item or skipped it. A
// nil error means that the trailer was there, counted every item, and
// ended the file: only then may what put wrote be kept.
func readExport(r io.Reader, put func(it *exportItem, class Accessibility) (restored bool, err error)) (ImportResult, error) {
	var res ImportResult
	lines := bufio.NewScanner(r)
	lines.Buffer(make([]byte, 64<<10), maxExportLine)
	damaged := func(what string) error { return fmt.Errorf("%w: the export is damaged: %s", ErrCorrupt, what) }

	var hdr exportHeader
	if !lines.Scan() || json.Unmarshal(lines.Bytes(), &hdr) != nil || hdr.Format != exportFormat {
		return res, damaged("no header")
	}
	if hdr.Version != 1 {
		return res, fmt.Errorf("%w: export format version %d is newer than this program", ErrCorrupt, hdr.Version)
	}

	for lines.Scan() {
		var it exportItem
		if err := json.Unmarshal(lines.Bytes(), &it); err != nil {
			return res, damaged("a line is not an item")
		}
		if it.End {
			if it.Items != res.Restored+res.Skipped {
				return res, damaged(fmt.Sprintf("the trailer counts %d items, the file holds %d", it.Items, res.Restored+res.Skipped))
			}
			if lines.Scan() {
				return res, damaged("data after the trailer")
			}
			if err := lines.Err(); err != nil {
				return res, damaged(err.Error())
			}
			return res, nil
		}
		class, err := checkExportItem(&it)
		if err != nil {
			return res, err
		}
		restored, err := put(&it, class)
		if err != nil {
			return res, err
		}
		if restored {
			res.Restored++
		} else {
			res.Skipped++
		}
	}
	if err := lines.Err(); err != nil {
		return res, damaged(err.Error())
	}
	return res, damaged("it ends before its trailer")
}

// checkExportItem returns the class of an item of an export, after
// checking that the class is one and that its service and key are valid
// names.
func checkExportItem(it *exportItem) (Accessibility, error) {
	class, err := ParseAccessibility(it.Class)
	if err != nil {
		return 0, fmt.Errorf("%w: the export is damaged: unknown class", ErrCorrupt)
	}
	for _, n := range []struct{ what, name string }{{"service", it.Service}, {"key", it.Key}} {
		if err := validName(n.what, n.name); err != nil {
			return 0, fmt.Errorf("%w: the export is damaged: %v", ErrCorrupt, err)
		}
	}
	return class, nil
}

// importer writes imported items into one open transaction per store.
type importer struct {
	s         *Store
	txs       map[*storeDB]*storage.Tx
	transfers map[*storeDB]transfer // derived on a store's first ThisDeviceOnly item
}

// put writes one item of class (checked by checkExportItem), or reports
// that it must be skipped.
func (imp *importer) put(ctx context.Context, it *exportItem, class Accessibility) (restored bool, err error) {
	v, err := imp.s.storeFor(ctx, it.Group)
	if err != nil {
		return false, err
	}
	value := it.Value
	if class.ThisDeviceOnly() {
		tr, ok := imp.transfers[v]
		if !ok {
			tr = v.transfer()
			imp.transfers[v] = tr
		}
		if !hmac.Equal(it.Device, tr.fingerprint) {
			return false, nil // from another device: stays there
		}
		if value, err = record.Open(tr.aead, it.Sealed, record.ItemAD(v.id, it.Service, it.Key, uint8(class))); err != nil {
			return false, fmt.Errorf("%w: the export is damaged: a sealed value does not open", ErrCorrupt)
		}
	}
	defer clear(value)
	if len(value) > imp.s.cfg.maxValue {
		return false, fmt.Errorf("%w: %q (service %q) has %d bytes, the limit is %d; raise Config.MaxValueBytes to import it",
			ErrValueTooLarge, it.Key, it.Service, len(value), imp.s.cfg.maxValue)
	}
	aead, err := v.classKey(class)
	if errors.Is(err, ErrNoPasscode) {
		return false, nil // WhenPasscodeSet needs a passcode here too
	}
	if err != nil {
		return false, fmt.Errorf("%q (service %q in %s): %w", it.Key, it.Service, v.describe(), err)
	}
	tx := imp.txs[v]
	if tx == nil {
		// Like SetItem, hold off passcode changes while sealing under
		// this store's class keys.
		v.writeMu.RLock()
		if tx, err = v.db.Begin(ctx); err != nil {
			v.writeMu.RUnlock()
			return false, storageErr(err)
		}
		imp.txs[v] = tx
	}
	return true, storageErr(tx.PutItem(v.item(it.Service, it.Key, class, aead, value)))
}

func (imp *importer) commit() error {
	for v, tx := range imp.txs {
		err := tx.Commit()
		v.writeMu.RUnlock()
		delete(imp.txs, v)
		if err != nil {
			return fmt.Errorf("commit into %s: %w", v.describe(), storageErr(err))
		}
	}
	return nil
}

// rollback ends every transaction still open: all of them, unless commit
// ran.
func (imp *importer) rollback() {
	for v, tx := range imp.txs {
		tx.Rollback()
		v.writeMu.RUnlock()
	}
}
