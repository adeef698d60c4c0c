//go:build unix

package securestore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/internal/walcheck"
)

// Issue 12, finding 1: damage in the -wal must not roll back acknowledged
// writes. SQLite replays a WAL up to its first bad frame; a store that
// opened on that prefix would return values later overwritten and list
// keys later deleted.

const walApp = "waldmg"

func walOpen(ctx context.Context, dir string) (*securestore.Store, error) {
	return securestore.Open(ctx, securestore.Config{App: walApp, Dir: dir, Protector: "file"})
}

var walOpts = &securestore.Options{KeychainService: "svc"}

// walState is what the store holds: key → value.
type walState map[string]string

// walFill writes 12 items, overwrites the first 8, deletes every third,
// each one acknowledged write, and copies the store's files while it is
// still open — as a crash leaves them, the changes in the WAL. It returns
// the copy's directory, the state after each write (states[0] is after the
// first write), and the WAL frame index just past each commit frame.
func walFill(t *testing.T) (dir string, states []walState, ends []int, pageSize int) {
	t.Helper()
	ctx := t.Context()
	src := testdir.New(t)
	s, err := walOpen(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cur := walState{}
	record := func() { states = append(states, maps.Clone(cur)) }
	for i := range 12 {
		k, v := fmt.Sprintf("k%02d", i), fmt.Sprintf("v1-%02d", i)
		if err := s.SetItem(ctx, k, v, walOpts); err != nil {
			t.Fatal(err)
		}
		cur[k] = v
		record()
	}
	for i := range 8 {
		k, v := fmt.Sprintf("k%02d", i), fmt.Sprintf("v2-%02d", i)
		if err := s.SetItem(ctx, k, v, walOpts); err != nil {
			t.Fatal(err)
		}
		cur[k] = v
		record()
	}
	for i := 0; i < 12; i += 3 {
		k := fmt.Sprintf("k%02d", i)
		if err := s.DeleteItem(ctx, k, walOpts); err != nil {
			t.Fatal(err)
		}
		delete(cur, k)
		record()
	}
	dir = testdir.New(t)
	es, _ := os.ReadDir(src)
	for _, e := range es {
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), "-shm") {
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	wal, err := os.ReadFile(walPath(t, dir))
	if err != nil || len(wal) < walcheck.HeaderSize {
		t.Fatalf("the copy has no WAL to damage (%d bytes, %v)", len(wal), err)
	}
	pageSize = int(binary.BigEndian.Uint32(wal[8:]))
	fsz := walcheck.FrameHeaderSize + pageSize
	for i := 0; walcheck.HeaderSize+(i+1)*fsz <= len(wal); i++ {
		if binary.BigEndian.Uint32(wal[walcheck.HeaderSize+i*fsz+4:]) != 0 {
			ends = append(ends, i+1)
		}
	}
	// The item writes are the WAL's last len(states) transactions.
	if len(ends) < len(states)+1 {
		t.Fatalf("WAL holds %d transactions, want more than the %d writes", len(ends), len(states))
	}
	return dir, states, ends[len(ends)-len(states)-1:], pageSize
}

func walPath(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.db-wal"))
	if len(m) != 1 {
		t.Fatalf("WAL files in %s: %v", dir, m)
	}
	return m[0]
}

// walRead opens the store in dir and reads every key's value and the key
// list; err is the first error.
func walRead(ctx context.Context, dir string) (walState, []string, error) {
	s, err := walOpen(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	got := walState{}
	for i := range 12 {
		k := fmt.Sprintf("k%02d", i)
		v, err := s.GetItem(ctx, k, walOpts)
		if errors.Is(err, securestore.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		got[k] = v
	}
	keys, err := s.Keys(ctx, walOpts)
	return got, keys, err
}

func walDamageCopy(t *testing.T, dir string, damage func(wal []byte) []byte) string {
	t.Helper()
	dst := testdir.New(t)
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.HasSuffix(e.Name(), "-wal") {
			b = damage(bytes.Clone(b))
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestWALDamageRefused damages every frame of every item transaction but
// the last two, four ways each: the store must refuse with ErrCorrupt, and
// never answer with an older value or a deleted key.
func TestWALDamageRefused(t *testing.T) {
	dir, states, ends, ps := walFill(t)
	final := states[len(states)-1]
	fsz := walcheck.FrameHeaderSize + ps
	off := func(frame int) int { return walcheck.HeaderSize + frame*fsz }
	kinds := []struct {
		name string
		fn   func(w []byte, frame int) []byte
	}{
		{"flip a page byte", func(w []byte, f int) []byte { w[off(f)+walcheck.FrameHeaderSize+ps-7] ^= 0x20; return w }},
		{"flip a frame-header bit", func(w []byte, f int) []byte { w[off(f)+2] ^= 0x01; return w }},
		{"zero the frame", func(w []byte, f int) []byte { clear(w[off(f):off(f+1)]); return w }},
		{"swap with the next frame", func(w []byte, f int) []byte {
			a := bytes.Clone(w[off(f):off(f+1)])
			copy(w[off(f):], w[off(f+1):off(f+2)])
			copy(w[off(f+1):], a)
			return w
		}},
	}
	trials, refused := 0, 0
	// ends[0] is where the item writes start; the last transactions are
	// left alone (damage there is indistinguishable from a torn write):
	// two, and a third when the transactions are one frame each and the
	// damage removes a frame's stored checksum (zeroing, swapping), since
	// the frame after it can then not be checked (docs/SECURITY.md).
	limit := ends[len(ends)-4]
	for frame := ends[0]; frame < limit; frame++ {
		for _, k := range kinds {
			if strings.HasPrefix(k.name, "swap") && frame+1 >= limit {
				continue // damages the next frame too
			}
			trials++
			d := walDamageCopy(t, dir, func(w []byte) []byte { return k.fn(w, frame) })
			got, keys, err := walRead(t.Context(), d)
			if err != nil {
				if !errors.Is(err, securestore.ErrCorrupt) {
					t.Errorf("frame %d, %s: %v; want ErrCorrupt", frame, k.name, err)
				}
				refused++
				continue
			}
			if fmt.Sprint(got) != fmt.Sprint(final) || len(keys) != len(final) {
				t.Errorf("frame %d, %s: opened and answered an older state: %v, keys %v; want ErrCorrupt (final state %v)",
					frame, k.name, got, keys, final)
			}
		}
	}
	t.Logf("%d damage trials, %d refused with ErrCorrupt", trials, refused)
	if refused != trials {
		t.Errorf("%d of %d damage trials were not refused", trials-refused, trials)
	}
}

// TestWALTruncationAndTornTail: a WAL cut at any frame boundary, or torn in
// its last transaction, is what a crash leaves, and no check can tell a
// cut from a store that never got the later writes (docs/SECURITY.md).
// The store opens on a consistent earlier state: exactly the state after
// some acknowledged write.
func TestWALTruncationAndTornTail(t *testing.T) {
	dir, states, ends, ps := walFill(t)
	fsz := walcheck.FrameHeaderSize + ps
	off := func(frame int) int { return walcheck.HeaderSize + frame*fsz }
	isState := func(got walState, keys []string) bool {
		slices.Sort(keys)
		for _, s := range append([]walState{{}}, states...) { // {}: before the first write
			if fmt.Sprint(got) == fmt.Sprint(s) && slices.Equal(keys, slices.Sorted(maps.Keys(s))) {
				return true
			}
		}
		return false
	}
	trials := 0
	for frame := ends[0]; frame <= ends[len(ends)-1]; frame++ {
		trials++
		d := walDamageCopy(t, dir, func(w []byte) []byte { return w[:off(frame)] })
		got, keys, err := walRead(t.Context(), d)
		if err != nil || !isState(got, keys) {
			t.Errorf("cut at frame %d: %v, keys %v, %v; want an earlier acknowledged state", frame, got, keys, err)
		}
	}
	last := ends[len(ends)-2] // the last transaction's first frame
	for frame := last; frame < ends[len(ends)-1]; frame++ {
		trials++
		d := walDamageCopy(t, dir, func(w []byte) []byte { w[off(frame)+walcheck.FrameHeaderSize+5] ^= 1; return w })
		got, keys, err := walRead(t.Context(), d)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(states[len(states)-2]) || !isState(got, keys) {
			t.Errorf("torn last transaction (frame %d): %v, %v; want the state before it", frame, got, err)
		}
	}
	t.Logf("%d truncation and torn-tail trials", trials)
}
