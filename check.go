package securestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
)

// CheckReport is what Store.Check found in one store. It holds counts and
// SQLite's structural findings, never a name or a value.
type CheckReport struct {
	Store string // app "NAME" or access group "NAME"
	Path  string // the database file
	// Integrity is what SQLite's integrity_check found wrong with the
	// file's structure (pages, b-trees); empty when nothing.
	Integrity []string
	// Items is how many records the store holds; each is counted once in
	// OK (its name and value authenticate), Corrupt (they do not), or
	// Locked (its class needs the passcode and the store is locked: not
	// checked).
	Items, OK, Corrupt, Locked int
	// ScanErr is why reading the records stopped early, if it did.
	ScanErr error
}

// Damaged reports whether the check found any damage.
func (r CheckReport) Damaged() bool {
	return len(r.Integrity) > 0 || r.Corrupt > 0 || r.ScanErr != nil
}

// maxIntegrityFindings bounds how many findings Check reports.
const maxIntegrityFindings = 100

// Check reads the whole store of the access group group ("" for the app's
// own): SQLite's integrity_check over the file, then every record, whose
// name and value it authenticates with the keys the Store has (records of
// locked classes are counted, not checked). It changes nothing. An error
// means the check could not run; damage it finds is in the report.
func (s *Store) Check(ctx context.Context, group string) (CheckReport, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return CheckReport{}, fmt.Errorf("securestore: check: %w", err)
	}
	v, err := s.storeFor(ctx, group)
	if err != nil {
		return CheckReport{}, fmt.Errorf("securestore: check: %w", err)
	}
	rep := CheckReport{Store: v.describe(), Path: v.db.Path()}
	rep.Integrity, err = v.db.IntegrityCheck(ctx, maxIntegrityFindings)
	if err != nil {
		if !errors.Is(err, storage.ErrCorrupt) {
			return rep, fmt.Errorf("securestore: check %s: %w", v.describe(), storageErr(err))
		}
		rep.Integrity = append(rep.Integrity, "integrity_check stopped: the file is malformed")
	}
	classes := v.readClasses()
	defer classes.release()
	err = v.db.Scan(ctx, func(it *storage.Item) error {
		rep.Items++
		switch v.checkRecord(classes, it) {
		case recordOK:
			rep.OK++
		case recordLocked:
			rep.Locked++
		default:
			rep.Corrupt++
		}
		return nil
	})
	if err != nil {
		rep.ScanErr = storageErr(err)
		if !errors.Is(rep.ScanErr, ErrCorrupt) {
			return rep, fmt.Errorf("securestore: check %s: %w", v.describe(), rep.ScanErr)
		}
	}
	return rep, nil
}

type recordState int

const (
	recordCorrupt recordState = iota
	recordOK
	recordLocked // the name authenticates; the value's class key is not available
)

// checkRecord authenticates it: its name under its id, its key and service
// tag as the name's, and, when its class key is available, its value.
func (v *storeDB) checkRecord(classes *classSet, it *storage.Item) recordState {
	service, key, err := v.meta.OpenName(it.ID, it.Name)
	if err != nil || !bytes.Equal(it.Svc, v.meta.ServiceTag(service)) || !bytes.Equal(it.ID, v.meta.ItemID(service, key)) {
		return recordCorrupt
	}
	if it.Class&authFlag != 0 && Accessibility(it.Class&^authFlag).valid() {
		return recordLocked // requireAuthentication: only the agent, after a prompt, can open it (auth.go)
	}
	c := Accessibility(it.Class)
	aead, err := classes.aead(c)
	if err != nil {
		if c.valid() && errors.Is(err, ErrLocked) {
			return recordLocked
		}
		return recordCorrupt
	}
	pt, err := record.Open(aead, it.Value, record.ItemAD(v.id, service, key, it.Class))
	record.ZeroAEAD(aead)
	clear(pt)
	if err != nil {
		return recordCorrupt
	}
	return recordOK
}
