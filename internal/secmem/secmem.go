// Package secmem holds secret keys in memory that is kept out of swap and
// core dumps where the operating system allows, and that is wiped when the
// key is dropped.
//
// Use New for a key buffer, Bytes to read or fill it, and Free when the key
// is no longer needed: Free zeroes the bytes and returns the memory to the
// OS. A Buffer never moves, and the Go garbage collector never copies it.
//
// On unix the memory comes from an anonymous mmap outside the Go heap,
// locked with mlock (so it is never written to swap) and, on Linux, marked
// MADV_DONTDUMP (so it is left out of core dumps). mlock may be refused
// (RLIMIT_MEMLOCK, or no privilege): the buffer then works as usual and
// Locked reports false; a store never fails for it. Elsewhere a Buffer is
// a plain Go slice that Free zeroes.
//
// DisableCoreDumps turns core dumps off for the whole process: programs
// that hold keys call it first thing in main.
package secmem

// Buffer is memory for one secret. The zero value is an empty buffer.
type Buffer struct {
	b      []byte
	mapped bool // from mmap: Free must unmap it
	locked bool // mlock succeeded
}

// New returns a zeroed buffer of n bytes (n > 0).
func New(n int) *Buffer {
	if n <= 0 {
		panic("secmem: buffer size must be positive")
	}
	if b, locked, ok := alloc(n); ok {
		return &Buffer{b: b, mapped: true, locked: locked}
	}
	// The OS gave no mapping: a heap slice still gets wiped by Free.
	return &Buffer{b: make([]byte, n)}
}

// Copy returns a new buffer holding a copy of k.
func Copy(k []byte) *Buffer {
	b := New(len(k))
	copy(b.b, k)
	return b
}

// Bytes returns the buffer's memory. It is valid until Free.
func (b *Buffer) Bytes() []byte { return b.b }

// Locked reports whether the buffer's pages are locked in RAM (mlock).
func (b *Buffer) Locked() bool { return b.locked }

// Free zeroes the buffer and releases its memory; Bytes is empty after it.
// Free is idempotent, and safe on a nil Buffer.
func (b *Buffer) Free() {
	if b == nil || b.b == nil {
		return
	}
	clear(b.b)
	if b.mapped {
		release(b.b, b.locked)
	}
	b.b, b.mapped, b.locked = nil, false, false
}
