//go:build unix

package storage

import (
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// walHeaderInit is the byte offset of isInit in a header copy; zero means
// the wal-index has not been built yet.
const walHeaderInit = 12

// shmHeaderBytes is how much of the -shm file the header needs: both
// copies.
const shmHeaderBytes = 2 * 48

// shmMap is this process's read-only mapping of a database's -shm file,
// for its header (walindex.go).
//
// Its descriptor stays open until no DB of this process has the database
// open (openFile.shm): closing any descriptor of a file drops every POSIX
// lock this process holds on it, and SQLite's connections hold theirs on
// the -shm for as long as they are open (the same hazard othersHaveOpen
// avoids).
type shmMap struct {
	f   *os.File
	mem []byte // nil when the file could not be mapped: no header then
}

// mapShm maps the header of path's -shm file. The caller has a connection
// that reads path in WAL mode, so the file exists and SQLite has built its
// header; it returns nil only when the file cannot be opened, and a map
// without memory when it cannot be mapped (the descriptor is still kept,
// for the reason above).
func mapShm(path string) *shmMap {
	f, err := os.OpenFile(path+"-shm", os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	m := &shmMap{f: f}
	if fi, err := f.Stat(); err != nil || fi.Size() < shmHeaderBytes {
		return m
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, shmHeaderBytes, syscall.PROT_READ, syscall.MAP_SHARED)
	if err == nil {
		m.mem = mem
	}
	return m
}

// header reads the header as SQLite's readers do: copy 0, then copy 1,
// each word atomically (so in order), and reports it only if the copies
// agree and the wal-index is built. A fault reading the mapping (the file
// cut short under it, which SQLite never does while this process has the
// database open) is reported as no header, not as a crash.
func (m *shmMap) header() (h walHeader, ok bool) {
	if m == nil || m.mem == nil {
		return h, false
	}
	defer func() {
		if recover() != nil {
			h, ok = walHeader{}, false
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	p := unsafe.Pointer(&m.mem[0])
	var h1 walHeader
	for i := range h {
		h[i] = atomic.LoadUint32((*uint32)(unsafe.Add(p, 4*i)))
	}
	for i := range h1 {
		h1[i] = atomic.LoadUint32((*uint32)(unsafe.Add(p, 48+4*i)))
	}
	if h != h1 || m.mem[walHeaderInit] == 0 {
		return walHeader{}, false
	}
	return h, true
}

// close unmaps the header and closes the descriptor; the caller has
// closed every connection of this process to the database.
func (m *shmMap) close() {
	if m == nil {
		return
	}
	if m.mem != nil {
		syscall.Munmap(m.mem)
		m.mem = nil
	}
	m.f.Close()
}
