package exportfile

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

const testMaxLine = 1 << 20

// plain writes the plaintext of an export holding items.
func plain(t testing.TB, items ...Item) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, Header{App: "com.example", Created: time.Unix(0, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range items {
		if err := w.Write(&items[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readAll reads every item of a plaintext export.
func readAll(plaintext []byte) ([]Item, error) {
	r, err := NewReader(bytes.NewReader(plaintext), testMaxLine)
	if err != nil {
		return nil, err
	}
	var out []Item
	for {
		it, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, *it)
	}
}

var testItems = []Item{
	{Service: "svc", Key: "a", Class: "Always", Value: []byte("\x00\xff")},
	{Group: "group.shared", Service: "svc", Key: "b", Class: "AlwaysThisDeviceOnly", Device: []byte{1}, Sealed: []byte{2}},
}

func TestRoundTrip(t *testing.T) {
	var file bytes.Buffer
	aw, err := Encrypt(&file, []byte("passphrase"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := aw.Write(plain(t, testItems...)); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(bytes.NewReader(file.Bytes()), []byte("wrong"), 10); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("a wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	if _, err := Decrypt(bytes.NewReader(file.Bytes()), []byte("passphrase"), 9); err == nil {
		t.Fatal("a work factor above the maximum was accepted")
	}
	pr, err := Decrypt(bytes.NewReader(file.Bytes()), []byte("passphrase"), 10)
	if err != nil {
		t.Fatal(err)
	}
	plaintext, err := io.ReadAll(pr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(plaintext)
	if err != nil || len(got) != len(testItems) || got[0].Key != "a" || !bytes.Equal(got[0].Value, testItems[0].Value) ||
		got[1].Group != "group.shared" || !bytes.Equal(got[1].Sealed, []byte{2}) {
		t.Fatalf("read back %+v, %v", got, err)
	}
}

func TestDamaged(t *testing.T) {
	whole := string(plain(t, testItems...))
	lines := strings.SplitAfter(whole, "\n")
	for name, text := range map[string]string{
		"empty":           "",
		"not an age file": "age-encryption.org/v1\n",
		"no trailer":      strings.Join(lines[:len(lines)-2], ""),
		"truncated line":  whole[:len(whole)-5],
		"after trailer":   whole + "{}\n",
		"miscounted":      strings.Join(append(lines[:2:2], lines[3:]...), ""),
		"newer version":   `{"format":"securestore-export","version":2}` + "\n",
		"not an item":     lines[0] + "[]\n" + lines[len(lines)-2],
	} {
		var format *FormatError
		if _, err := readAll([]byte(text)); !errors.As(err, &format) {
			t.Errorf("%s: %v, want a *FormatError", name, err)
		}
	}
	if _, err := Decrypt(strings.NewReader("not age"), []byte("p"), 10); !errors.As(err, new(*FormatError)) {
		t.Errorf("Decrypt of a non-age file: %v, want a *FormatError", err)
	}
}

// FuzzReader reads arbitrary plaintext as an export. It checks that the
// Reader never panics, fails only with *FormatError, and succeeds exactly
// when the plaintext is a header, items, and a trailer that counts them
// and ends the file; whatever it accepts, Writer writes back in a form it
// reads the same.
func FuzzReader(f *testing.F) {
	whole := plain(f, testItems...)
	f.Add(whole)
	f.Add(plain(f))
	f.Add(whole[:len(whole)-3])
	f.Add(append(bytes.Clone(whole), "{}\n"...))
	f.Add([]byte(`{"format":"securestore-export","version":1}` + "\r\n" + `{"end":true}`))
	f.Fuzz(func(t *testing.T, plaintext []byte) {
		items, err := readAll(plaintext)
		var format *FormatError
		if err != nil {
			if !errors.As(err, &format) {
				t.Fatalf("Reader: %v, want a *FormatError", err)
			}
			return
		}
		again, err := readAll(plain(t, items...))
		if err != nil || len(again) != len(items) {
			t.Fatalf("%d items written back read as %d, %v", len(items), len(again), err)
		}
	})
}
