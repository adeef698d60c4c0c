package secmem

import (
	"bytes"
	"testing"
)

func TestBufferHoldsAndFrees(t *testing.T) {
	b := New(32)
	if len(b.Bytes()) != 32 || !bytes.Equal(b.Bytes(), make([]byte, 32)) {
		t.Fatalf("New(32) = %x, want 32 zero bytes", b.Bytes())
	}
	copy(b.Bytes(), "a key of thirty-two bytes.......")
	if string(b.Bytes()) != "a key of thirty-two bytes......." {
		t.Fatalf("buffer holds %q", b.Bytes())
	}
	b.Free()
	if b.Bytes() != nil || b.Locked() {
		t.Fatalf("after Free: Bytes %x, Locked %v; want nil, false", b.Bytes(), b.Locked())
	}
	b.Free() // idempotent
	var nilBuf *Buffer
	nilBuf.Free()
}

func TestCopy(t *testing.T) {
	k := []byte("0123456789abcdef0123456789abcdef")
	b := Copy(k)
	defer b.Free()
	if !bytes.Equal(b.Bytes(), k) {
		t.Fatalf("Copy = %q, want %q", b.Bytes(), k)
	}
	k[0] = 'X'
	if b.Bytes()[0] != '0' {
		t.Fatal("Copy shares memory with its source")
	}
}

// TestFreeZeroes checks the wipe on the heap fallback, the one kind of
// buffer whose memory can still be read after Free.
func TestFreeZeroes(t *testing.T) {
	mem := []byte("secret secret secret secret 1234")
	b := &Buffer{b: mem}
	b.Free()
	if !bytes.Equal(mem, make([]byte, len(mem))) {
		t.Fatalf("Free left %q", mem)
	}
}

func TestNewRefusesEmpty(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(0) did not panic")
		}
	}()
	New(0)
}
