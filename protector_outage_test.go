//go:build unix

package securestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/protector"
)

// Store-level error paths shared by the protectors that live outside the
// store directory (secretservice, tpm): whatever happens to the key store
// or the blob, Open fails with a clear protector error and never returns a
// wrong value, an open Store keeps working without its protector, and once
// the key store is back every item reads as it was written.

// outageItems is what the outage tests write and expect back: a value per
// class that works without a passcode, under two services.
func outageItems() map[string]struct {
	value string
	opts  *securestore.Options
} {
	out := map[string]struct {
		value string
		opts  *securestore.Options
	}{}
	for _, c := range []securestore.Accessibility{securestore.WhenUnlocked, securestore.AfterFirstUnlock,
		securestore.Always, securestore.AlwaysThisDeviceOnly} {
		for _, svc := range []string{"", "sync"} {
			key := fmt.Sprintf("k%d%s", int(c), svc)
			out[key] = struct {
				value string
				opts  *securestore.Options
			}{"value of " + key, &securestore.Options{KeychainService: svc, KeychainAccessible: c}}
		}
	}
	return out
}

// outageStore opens the store that the test breaks, with protectorName.
type outageStore struct {
	t   *testing.T
	cfg securestore.Config
}

func (o *outageStore) open(timeout time.Duration) (*securestore.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return securestore.Open(ctx, o.cfg)
}

// fill writes every outage item through st.
func (o *outageStore) fill(st *securestore.Store) {
	o.t.Helper()
	for k, it := range outageItems() {
		if err := st.SetItem(context.Background(), k, it.value, it.opts); err != nil {
			o.t.Fatalf("SetItem(%q): %v", k, err)
		}
	}
}

// check reads every outage item back through st.
func (o *outageStore) check(st *securestore.Store) {
	o.t.Helper()
	for k, it := range outageItems() {
		got, err := st.GetItem(context.Background(), k, it.opts)
		if err != nil || got != it.value {
			o.t.Fatalf("GetItem(%q) = %q, %v; want %q", k, got, err, it.value)
		}
	}
}

// reopenAndCheck opens the store (it must open now) and reads every item.
func (o *outageStore) reopenAndCheck(when string) {
	o.t.Helper()
	st, err := o.open(30 * time.Second)
	if err != nil {
		o.t.Fatalf("%s: Open: %v", when, err)
	}
	defer st.Close()
	o.check(st)
}

// openFails asserts that Open fails, within its deadline plus a second,
// with an error that is want (and, for a corrupt blob, ErrCorrupt).
func (o *outageStore) openFails(when string, timeout time.Duration, want error) {
	o.t.Helper()
	start := time.Now()
	st, err := o.open(timeout)
	if err == nil {
		st.Close()
		o.t.Fatalf("%s: Open succeeded", when)
	}
	if !errors.Is(err, want) {
		o.t.Fatalf("%s: Open = %v; want %v", when, err, want)
	}
	if d := time.Since(start); d > timeout+time.Second {
		o.t.Errorf("%s: Open took %v with a %v deadline", when, d, timeout)
	}
	o.t.Logf("%s: %v", when, err)
}

func (o *outageStore) dbPath() string {
	return filepath.Join(o.cfg.Dir, "app."+o.cfg.App+".db")
}

// blob reads the store's wrapped device key from its meta table.
func (o *outageStore) blob() []byte {
	o.t.Helper()
	var b []byte
	o.sql(func(db *sql.DB) error {
		return db.QueryRow(`SELECT value FROM meta WHERE name = 'device_key'`).Scan(&b)
	})
	return b
}

// setBlob replaces the store's wrapped device key, or deletes it (nil).
func (o *outageStore) setBlob(b []byte) {
	o.t.Helper()
	o.sql(func(db *sql.DB) error {
		if b == nil {
			_, err := db.Exec(`DELETE FROM meta WHERE name = 'device_key'`)
			return err
		}
		_, err := db.Exec(`INSERT INTO meta (name, value) VALUES ('device_key', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, b)
		return err
	})
}

func (o *outageStore) sql(f func(*sql.DB) error) {
	o.t.Helper()
	db, err := sql.Open("sqlite", "file:"+o.dbPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		o.t.Fatal(err)
	}
	defer db.Close()
	if err := f(db); err != nil {
		o.t.Fatal(err)
	}
}

// keyStore is the service behind a protector that a test can stop and
// hang: servicetest.SecretService and servicetest.SWTPM.
type keyStore interface {
	Stop()
	Start()
	Freeze()
	Thaw()
}

// testStopAndHang stops ks, then hangs it: each time Open fails with
// ErrUnavailable within its deadline while st, opened before, keeps
// reading and writing; once name is back or resumed, every item reads.
func (o *outageStore) testStopAndHang(st *securestore.Store, ks keyStore, name string) {
	o.t.Helper()
	ks.Stop()
	o.openFails(name+" stopped", 5*time.Second, protector.ErrUnavailable)
	o.check(st) // an open Store never calls its protector again
	o.fill(st)
	ks.Start()
	o.reopenAndCheck(name + " back")

	ks.Freeze()
	o.openFails(name+" hung", 500*time.Millisecond, protector.ErrUnavailable)
	o.check(st)
	ks.Thaw()
	o.reopenAndCheck(name + " resumed")
}

// testBlobDamage: an altered blob is ErrKeyCorrupt (and ErrCorrupt); a
// deleted one is an error too, not a new device key over the old items;
// with the blob put back, everything reads.
func (o *outageStore) testBlobDamage() {
	o.t.Helper()
	orig := o.blob()
	for _, i := range []int{0, len(orig) / 2, len(orig) - 1} {
		b := append([]byte(nil), orig...)
		b[i] ^= 0x80
		o.setBlob(b)
		o.openFails(fmt.Sprintf("blob byte %d altered", i), 30*time.Second, protector.ErrKeyCorrupt)
		o.openFails(fmt.Sprintf("blob byte %d altered", i), 30*time.Second, securestore.ErrCorrupt)
	}
	o.setBlob(orig[:len(orig)/2])
	o.openFails("blob truncated", 30*time.Second, protector.ErrKeyCorrupt)
	o.setBlob(nil)
	o.openFails("blob deleted", 30*time.Second, securestore.ErrCorrupt)
	o.setBlob(orig)
	o.reopenAndCheck("blob restored")
}
