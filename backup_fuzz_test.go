package securestore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/securestore-go/securestore/internal/exportfile"
	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/internal/testdir"
)

// The fuzz targets of Import, whose input is a file from anywhere: the
// JSON-lines layer on its own (FuzzReadExport), fed plaintext directly,
// and the whole path through age (FuzzImport).

// fuzzPassphrase is the passphrase of every export the fuzz targets make.
const fuzzPassphrase = "correct horse battery staple"

// fuzzStore opens app "com.example.backup" in a fresh directory with a
// passcode set (so that every class can be written) and testGroup, with
// cheap KDFs until tb ends.
func fuzzStore(tb testing.TB) *Store {
	tb.Helper()
	s := backupStore(tb, filepath.Join(testdir.New(tb), "store"))
	if err := s.SetPasscode(bctx, nil, []byte("1234")); err != nil {
		tb.Fatal(err)
	}
	return s
}

// fuzzFill stores an item of every class in the app's store and in the
// group (but WhenPasscodeSet, which groups lack), with values of a few
// shapes: empty, binary, and as long as the default limit allows.
func fuzzFill(tb testing.TB, s *Store) {
	tb.Helper()
	values := []string{"", "ghp_s3cretToken", "\x00\xff\n\"\\", strings.Repeat("v", DefaultMaxValueBytes)}
	for c := Accessibility(0); c < numClasses; c++ {
		for _, o := range []Options{{KeychainService: "svc"}, {KeychainService: "other.svc", AccessGroup: testGroup}} {
			if o.AccessGroup != "" && c == WhenPasscodeSetThisDeviceOnly {
				continue
			}
			o.KeychainAccessible = c
			if err := s.SetItem(bctx, "key_"+c.String(), values[int(c)%len(values)], &o); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// fuzzExport exports s under fuzzPassphrase and returns the file and its
// plaintext.
func fuzzExport(tb testing.TB, s *Store) (file, plaintext []byte) {
	tb.Helper()
	var b bytes.Buffer
	if err := s.Export(bctx, &b, []byte(fuzzPassphrase)); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes(), decryptExport(tb, b.Bytes())
}

// decryptExport opens an export with fuzzPassphrase, or returns nil.
func decryptExport(tb testing.TB, file []byte) []byte {
	id, err := age.NewScryptIdentity(fuzzPassphrase)
	if err != nil {
		tb.Fatal(err)
	}
	id.SetMaxWorkFactor(testOnlyCheapCosts.exportWorkFactor)
	r, err := age.Decrypt(bytes.NewReader(file), id)
	if err != nil {
		return nil
	}
	plaintext, err := io.ReadAll(r)
	if err != nil {
		return nil
	}
	return plaintext
}

// exportLines splits plaintext into lines as bufio.ScanLines does: at
// "\n", each without one trailing "\r", with no empty line after a final
// "\n".
func exportLines(plaintext []byte) [][]byte {
	lines := bytes.Split(plaintext, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return lines
}

var errSink = errors.New("the sink refuses this item")

// FuzzReadExport feeds readExport arbitrary plaintext, as if age had
// decrypted it, with a sink that restores each item, skips the
// ThisDeviceOnly ones, and fails at the item the fuzzer picks. It checks
// that:
//   - readExport never panics, and fails only with ErrCorrupt or the
//     sink's own error (after which it calls the sink no more);
//   - the sink never sees an item with an invalid service or key, or a
//     class that is not the one its name says;
//   - it succeeds exactly when the plaintext, split into lines on its
//     own here, is a header, items, and a trailer that counts them and
//     ends the file; and then its counts are the sink's.
func FuzzReadExport(f *testing.F) {
	s := fuzzStore(f)
	fuzzFill(f, s)
	_, plaintext := fuzzExport(f, s)
	f.Add(plaintext, uint8(0))
	lines := exportLines(plaintext)
	f.Add(bytes.Join(append(lines[:1:1], lines[len(lines)-1]), []byte("\n")), uint8(0)) // no items: trailer {"end":true}
	f.Add(bytes.Join(lines[:len(lines)-1], []byte("\n")), uint8(0))                     // no trailer
	f.Add(append(bytes.Clone(plaintext), "{}\n"...), uint8(0))                          // after the trailer
	f.Add(plaintext, uint8(3))
	f.Add([]byte(`{"format":"securestore-export","version":2}`+"\n"), uint8(0))
	f.Add([]byte(`{"format":"securestore-export","version":1}`+"\r\n"+
		`{"service":"s","key":"../etc","class":"Always","value":"eA=="}`+"\r\n"+`{"end":true,"items":1}`), uint8(0))

	f.Fuzz(func(t *testing.T, plaintext []byte, failAt uint8) {
		var seen []exportfile.Item
		res, err := readExport(bytes.NewReader(plaintext), func(it *exportfile.Item, class Accessibility) (bool, error) {
			if validName("service", it.Service) != nil || validName("key", it.Key) != nil {
				t.Fatalf("the sink got an item with service %q, key %q", it.Service, it.Key)
			}
			if c, err := ParseAccessibility(it.Class); err != nil || c != class || class >= numClasses {
				t.Fatalf("the sink got class %v for %q", class, it.Class)
			}
			seen = append(seen, *it)
			if len(seen) == int(failAt) {
				return false, errSink
			}
			return !class.ThisDeviceOnly(), nil
		})
		switch {
		case errors.Is(err, errSink):
			if len(seen) != int(failAt) {
				t.Fatalf("the sink failed at item %d, but was called %d times", failAt, len(seen))
			}
			return
		case err != nil && !errors.Is(err, ErrCorrupt):
			t.Fatalf("readExport: %v, want ErrCorrupt", err)
		}

		// Whether the file is complete, from its lines split here.
		lines := exportLines(plaintext)
		valid := len(lines) >= 2 && len(seen) == len(lines)-2
		for _, l := range lines {
			valid = valid && len(l) <= maxExportLine
		}
		if valid {
			var hdr exportfile.Header
			var end struct {
				End   bool `json:"end"`
				Items int  `json:"items"`
			}
			valid = json.Unmarshal(lines[0], &hdr) == nil && hdr.Format == exportfile.Format && hdr.Version == 1 &&
				json.Unmarshal(lines[len(lines)-1], &end) == nil && end.End && end.Items == len(seen)
		}
		if valid != (err == nil) {
			t.Fatalf("readExport of %d lines, %d items: %v; but the file is complete: %v", len(lines), len(seen), err, valid)
		}
		if err == nil && res.Restored+res.Skipped != len(seen) {
			t.Fatalf("readExport counts %+v for %d items", res, len(seen))
		}
	})
}

// rows is every row of a store's databases, as stored: what an import
// that fails must leave as it was.
func rows(tb testing.TB, s *Store) map[string]string {
	tb.Helper()
	dbs, err := s.existingDBs(bctx)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	for _, ev := range dbs {
		err := ev.v.db.Scan(bctx, func(it *storage.Item) error {
			out[ev.group+"\x00"+string(it.ID)] = fmt.Sprintf("%d %x %x", it.Class, it.Name, it.Value)
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// FuzzImport imports arbitrary bytes, as an export file, with a fixed
// passphrase into a store that holds items, so that age's header and
// payload parsing are part of the input's path (scrypt's work factor is
// capped low, as the exports made here use). It checks that an import
// that fails changes no row of any store (all or nothing), and that one
// that succeeds was of a file that age opens and whose every migrating
// item now reads back with the value the file holds for it.
func FuzzImport(f *testing.F) {
	dst := fuzzStore(f)
	if err := dst.Unlock(bctx, []byte("1234")); err != nil {
		f.Fatal(err)
	}
	fuzzFill(f, dst)
	own, _ := fuzzExport(f, dst) // this device: ThisDeviceOnly items restore
	src := fuzzStore(f)
	fuzzFill(f, src)
	if err := src.SetItem(bctx, "only_in_src", "from another device", &Options{KeychainService: "svc"}); err != nil {
		f.Fatal(err)
	}
	other, _ := fuzzExport(f, src) // another device: they are skipped
	f.Add(own)
	f.Add(other)
	f.Add(other[:len(other)-1])
	f.Add([]byte("age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 10\n\n--- \n"))
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n"))

	f.Fuzz(func(t *testing.T, file []byte) {
		before := rows(t, dst)
		res, err := dst.ImportReport(bctx, bytes.NewReader(file), []byte(fuzzPassphrase))
		if err != nil {
			if after := rows(t, dst); !maps.Equal(after, before) {
				t.Fatalf("a failed import (%v) changed the store", err)
			}
			return
		}
		plaintext := decryptExport(t, file)
		if plaintext == nil {
			t.Fatalf("Import accepted %d bytes that age does not open (%+v)", len(file), res)
		}
		want := map[[3]string]string{}
		sc := bufio.NewScanner(bytes.NewReader(plaintext))
		sc.Buffer(nil, maxExportLine)
		for sc.Scan() {
			var it struct {
				exportfile.Item
				End bool `json:"end"`
			}
			if json.Unmarshal(sc.Bytes(), &it) != nil || it.End || it.Service == "" {
				continue
			}
			if c, err := ParseAccessibility(it.Class); err == nil && !c.ThisDeviceOnly() {
				want[[3]string{it.Group, it.Service, it.Key}] = string(it.Value)
			}
		}
		for id, value := range want {
			got, err := dst.GetItem(bctx, id[2], &Options{AccessGroup: id[0], KeychainService: id[1]})
			if err != nil || got != value {
				t.Fatalf("after the import, %q reads %d bytes, %v; the file holds %d", id, len(got), err, len(value))
			}
		}
	})
}
