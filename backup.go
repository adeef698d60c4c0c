package securestore

import (
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/securestore-go/securestore/internal/exportfile"
	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
)

// Exports are files of internal/exportfile's format; this file maps a
// store's items onto it and back.

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
	aw, err := exportfile.Encrypt(w, passphrase, s.cfg.costs.exportWorkFactor)
	if err != nil {
		return err
	}
	ew, err := exportfile.NewWriter(aw, exportfile.Header{App: s.cfg.app, Created: time.Now().UTC()})
	if err != nil {
		return err
	}
	dbs, err := s.existingDBs(ctx)
	if err != nil {
		return err
	}
	for _, ev := range dbs {
		if err := ev.v.exportItems(ctx, ev.group, ew.Write); err != nil {
			return err
		}
	}
	if err := ew.Close(); err != nil {
		return err
	}
	return aw.Close()
}

// exportItems calls emit with every item of the store, in clear or, for
// ThisDeviceOnly classes, sealed for this device.
func (v *storeDB) exportItems(ctx context.Context, group string, emit func(*exportfile.Item) error) error {
	tr := v.transfer()
	return storageErr(v.db.Scan(ctx, func(row *storage.Item) error {
		service, key, err := v.meta.OpenName(row.ID, row.Name)
		if err != nil {
			return fmt.Errorf("%w: an item name does not authenticate", ErrCorrupt)
		}
		if row.Class&authFlag != 0 {
			return nil // requireAuthentication: bound to this passcode and device, never exported (auth.go)
		}
		class := Accessibility(row.Class)
		ad := record.ItemAD(v.id, service, key, row.Class)
		var value []byte
		cs := v.readClasses()
		aead, err := cs.aead(class)
		switch {
		case errors.Is(err, ErrLocked) && v.agent != nil:
			cs.release()
			value, err = v.agentOpenValue(ctx, service, key, class, row.Value)
			if err != nil && !errors.Is(err, ErrCorrupt) {
				return fmt.Errorf("%q (service %q in %s): %w", key, service, v.describe(), err)
			}
		case err != nil:
			cs.release()
			return fmt.Errorf("%q (service %q in %s): %w", key, service, v.describe(), err)
		default:
			value, err = record.Open(aead, row.Value, ad)
			record.ZeroAEAD(aead)
			cs.release()
		}
		if err != nil {
			return fmt.Errorf("%w: the value of %q (service %q in %s) does not authenticate", ErrCorrupt, key, service, v.describe())
		}
		defer clear(value)
		it := &exportfile.Item{Group: group, Service: service, Key: key, Class: class.String()}
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
	if s.own == nil { // Config.NoCreate, and the app has no store
		return nil, noStoreErr(s.cfg.dir, "app", s.cfg.app)
	}
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

func (s *Store) importItems(ctx context.Context, r io.Reader, passphrase []byte) (ImportResult, error) {
	plaintext, err := exportfile.Decrypt(r, passphrase, s.cfg.costs.importMaxWorkFactor)
	if err != nil {
		return ImportResult{}, exportErr(err)
	}
	// One transaction per target store, each committed in turn once the
	// trailer has proved the file complete.
	imp := &importer{s: s, txs: map[*storeDB]*storage.Tx{}, transfers: map[*storeDB]transfer{}}
	defer imp.rollback()
	res, err := readExport(plaintext, func(it *exportfile.Item, class Accessibility) (bool, error) {
		return imp.put(ctx, it, class)
	})
	if err != nil {
		return res, err
	}
	return res, imp.commit()
}

// exportErr maps exportfile's errors onto the public sentinels.
func exportErr(err error) error {
	var format *exportfile.FormatError
	switch {
	case errors.Is(err, exportfile.ErrWrongPassphrase):
		return fmt.Errorf("%w: %w", ErrWrongPasscode, err)
	case errors.As(err, &format):
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

// readExport reads the plaintext of an export: the items, each handed to
// put once its class and names are known to be valid, and the trailer.
// put reports whether it restored the item or skipped it. A nil error
// means that the trailer was there, counted every item, and ended the
// file: only then may what put wrote be kept.
func readExport(r io.Reader, put func(it *exportfile.Item, class Accessibility) (restored bool, err error)) (ImportResult, error) {
	var res ImportResult
	er, err := exportfile.NewReader(r, maxExportLine)
	if err != nil {
		return res, exportErr(err)
	}
	for {
		it, err := er.Next()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, exportErr(err)
		}
		class, err := checkExportItem(it)
		if err != nil {
			return res, err
		}
		restored, err := put(it, class)
		if err != nil {
			return res, err
		}
		if restored {
			res.Restored++
		} else {
			res.Skipped++
		}
	}
}

// checkExportItem returns the class of an item of an export, after
// checking that the class is one and that its service and key are valid
// names.
func checkExportItem(it *exportfile.Item) (Accessibility, error) {
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
func (imp *importer) put(ctx context.Context, it *exportfile.Item, class Accessibility) (restored bool, err error) {
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
	cs := v.readClasses()
	defer cs.release()
	aead, err := cs.aead(class)
	if err == nil {
		defer record.ZeroAEAD(aead)
	}
	var viaAgent *storage.Item // sealed by the agent, which holds the class key
	var agentGen uint64
	if errors.Is(err, ErrLocked) && v.agent != nil {
		viaAgent, agentGen, err = v.agentSealItem(ctx, it.Service, it.Key, class, value)
	}
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
	if class.needsPasscode() {
		// As SetItem: a key another process's passcode change replaced
		// must not seal anything (storedb_generation.go).
		gen := cs.generation
		if viaAgent != nil {
			gen = agentGen
		}
		ok, err := tx.Holds(generationCond(gen))
		if err != nil {
			return false, storageErr(err)
		}
		if !ok {
			return false, fmt.Errorf("%w: the passcode of %s changed during the import; unlock and import again", ErrLocked, v.describe())
		}
	}
	if viaAgent != nil {
		return true, storageErr(tx.PutItem(viaAgent))
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
