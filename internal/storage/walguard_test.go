//go:build unix

package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/securestore-go/securestore/internal/walcheck"
)

// walFixture makes a database whose -wal holds n one-item transactions
// after the schema's, as a crash leaves it: the files are copied while the
// DB is open, before any checkpoint. Item i is written as version 1, then
// items 0..n/2 are overwritten (version 2) and every fifth is deleted.
// It returns the directory of the copy and the frame index just past each
// commit frame of the WAL.
func walFixture(t *testing.T, n int) (path string, commitEnds []int, pageSize int) {
	t.Helper()
	d, src := openTemp(t)
	for i := range n {
		if err := d.Put(ctx, item(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n / 2 {
		it := item(i)
		it.Value = append(it.Value, "-v2"...)
		if err := d.Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i += 5 {
		if err := d.Delete(ctx, []byte("svc"), item(i).ID); err != nil {
			t.Fatal(err)
		}
	}
	path = filepath.Join(t.TempDir(), "copy.db")
	for _, suf := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suf)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+suf, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wal, _ := os.ReadFile(path + "-wal")
	pageSize = int(binary.BigEndian.Uint32(wal[8:]))
	fsz := walcheck.FrameHeaderSize + pageSize
	for i := 0; walcheck.HeaderSize+(i+1)*fsz <= len(wal); i++ {
		if binary.BigEndian.Uint32(wal[walcheck.HeaderSize+i*fsz+4:]) != 0 {
			commitEnds = append(commitEnds, i+1)
		}
	}
	if r := walcheck.Check(wal); r.Damaged || r.Commits != len(commitEnds) || r.Valid != commitEnds[len(commitEnds)-1] {
		t.Fatalf("clean WAL from SQLite: %+v, commits %v", r, commitEnds)
	}
	return path, commitEnds, pageSize
}

func frameRange(pageSize, i int) (int, int) {
	fsz := walcheck.FrameHeaderSize + pageSize
	return walcheck.HeaderSize + i*fsz, walcheck.HeaderSize + (i+1)*fsz
}

// contents reads every item of the database at path: id → value.
func contents(t *testing.T, path string) map[string]string {
	t.Helper()
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer d.Close()
	m := map[string]string{}
	if err := d.Scan(ctx, func(it *Item) error { m[string(it.ID)] = string(it.Value); return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpenRefusesDamagedWAL(t *testing.T) {
	const n = 30
	path, _, _ := walFixture(t, n)
	want := contents(t, path) // a clean copy opens, with the final state
	if len(want) != n-n/5 {
		t.Fatalf("clean copy holds %d items, want %d", len(want), n-n/5)
	}
	path, ends, ps := walFixture(t, n) // contents checkpointed the first one
	early := ends[len(ends)/3]         // a frame inside an early item transaction
	cases := []struct {
		name string
		fn   func(wal []byte)
	}{
		{"flipped byte", func(w []byte) { a, _ := frameRange(ps, early); w[a+walcheck.FrameHeaderSize+ps/2] ^= 0x04 }},
		{"flipped header bit", func(w []byte) { a, _ := frameRange(ps, early); w[a+1] ^= 0x80 }},
		{"zeroed frame", func(w []byte) { a, b := frameRange(ps, early); clear(w[a:b]) }},
		{"swapped frames", func(w []byte) {
			a, b := frameRange(ps, early)
			c, d := frameRange(ps, early+1)
			fa := bytes.Clone(w[a:b])
			copy(w[a:b], w[c:d])
			copy(w[c:d], fa)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "x.db")
			copyFile(t, path, p)
			copyFile(t, path+"-wal", p+"-wal")
			wal, _ := os.ReadFile(p + "-wal")
			c.fn(wal)
			os.WriteFile(p+"-wal", wal, 0o600)
			before := snapshot(t, dir)

			d, err := Open(ctx, p)
			var de *WALDamageError
			if err == nil || !errors.Is(err, ErrCorrupt) || !errors.As(err, &de) {
				if d != nil {
					d.Close()
				}
				t.Fatalf("Open: %v; want a WALDamageError wrapping ErrCorrupt", err)
			}
			if after := snapshot(t, dir); after != before {
				t.Fatalf("Open changed the files:\nbefore %s\nafter  %s", before, after)
			}

			rep, err := Repair(ctx, p)
			if err != nil || !rep.Damaged || rep.LostCommits < 2 || rep.KeptFrames > early {
				t.Fatalf("Repair = %+v, %v", rep, err)
			}
			if kept, _ := os.ReadFile(rep.DamagedCopy); !bytes.Equal(kept, wal) {
				t.Fatalf("%s does not hold the damaged WAL", rep.DamagedCopy)
			}
			if fi, _ := os.Stat(rep.DamagedCopy); fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s has mode %v", rep.DamagedCopy, fi.Mode())
			}
			got := contents(t, p) // opens now: an older, consistent state
			if len(got) == len(want) && fmt.Sprint(got) == fmt.Sprint(want) {
				t.Fatalf("repaired store holds the final state; the damage dropped nothing?")
			}
			if again, err := Repair(ctx, p); err != nil || again.Damaged {
				t.Fatalf("second Repair = %+v, %v; want nothing to do", again, err)
			}
		})
	}
}

// A WAL cut at a frame boundary, or torn inside its last transaction, is
// what a crash leaves: Open accepts it (SQLite replays the whole
// transactions), and no check can tell the cut from a store that never got
// the later writes.
func TestOpenAcceptsTornOrTruncatedWAL(t *testing.T) {
	path, ends, ps := walFixture(t, 20)
	last := ends[len(ends)-1]
	for _, c := range []struct {
		name string
		fn   func(wal []byte) []byte
	}{
		{"cut at a frame boundary", func(w []byte) []byte { a, _ := frameRange(ps, ends[len(ends)/2]); return w[:a] }},
		{"cut inside a frame", func(w []byte) []byte { a, _ := frameRange(ps, ends[len(ends)/2]); return w[:a+100] }},
		{"last transaction torn", func(w []byte) []byte {
			a, _ := frameRange(ps, ends[len(ends)-2])
			w[a+walcheck.FrameHeaderSize+9] ^= 1
			return w
		}},
		{"zeroed last frame", func(w []byte) []byte { a, b := frameRange(ps, last-1); clear(w[a:b]); return w }},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.db")
			copyFile(t, path, p)
			wal, _ := os.ReadFile(path + "-wal")
			os.WriteFile(p+"-wal", c.fn(wal), 0o600)
			contents(t, p)
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// snapshot describes every file in dir: name, size and an FNV-1a hash.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	for _, e := range es {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		s += fmt.Sprintf("%s:%d:%x ", e.Name(), len(b), crc(b))
	}
	return s
}

func crc(b []byte) uint32 {
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}
