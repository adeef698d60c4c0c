//go:build unix

package storage

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// A -shm file cut short under the mapping makes reading the header fault
// (SIGBUS); that is reported as no header, and the process goes on.
func TestShmHeaderFaultIsNoHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	var hdr [shmHeaderBytes]byte
	for copy := range 2 {
		binary.NativeEndian.PutUint32(hdr[48*copy+8:], 5) // iChange
		hdr[48*copy+walHeaderInit] = 1
	}
	if err := os.WriteFile(path+"-shm", hdr[:], 0o600); err != nil {
		t.Fatal(err)
	}
	m := mapShm(path)
	if m == nil || m.mem == nil {
		t.Fatal("not mapped")
	}
	defer m.close()
	h, ok := m.header()
	if !ok || h[walChange] != 5 {
		t.Fatalf("header %v, %v; want iChange 5", h, ok)
	}
	// Copies that disagree (a commit writing it) are no header either.
	f, err := os.OpenFile(path+"-shm", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{6}, 48+8); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.header(); ok {
		t.Fatal("copies that differ were taken for a header")
	}
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.header(); ok {
		t.Fatal("a header read from a truncated file")
	}
}
