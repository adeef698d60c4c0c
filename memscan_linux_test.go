package securestore

import (
	"bufio"
	"crypto/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// maskedKey is a key the memory test looks for without holding it: only
// key XOR mask and the mask are kept, so that the scan never finds the
// test's own reference copy.
type maskedKey struct {
	name         string
	mask, masked [32]byte
}

// newMaskedKey records k (a 32-byte key) masked. k itself is not copied.
func newMaskedKey(name string, k []byte) *maskedKey {
	m := &maskedKey{name: name}
	rand.Read(m.mask[:])
	for i := range m.masked {
		m.masked[i] = k[i] ^ m.mask[i]
	}
	return m
}

// count returns how many copies of the key the process's readable memory
// holds, reading /proc/self/maps and /proc/self/mem as an attacker with
// the same user's access to the process would.
func (m *maskedKey) count(t *testing.T) int {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	// The scan's window is outside the Go heap and unmapped after, so
	// that what it read leaves nothing behind.
	const chunk = 1 << 20
	buf, err := unix.Mmap(-1, 0, chunk+31, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(buf)
	found := 0
	sc := bufio.NewScanner(strings.NewReader(string(maps)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[1][0] != 'r' || len(f) >= 6 && (f[5] == "[vvar]" || f[5] == "[vsyscall]" || f[5] == "[vvar_vclock]") {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad maps line %q", sc.Text())
		}
		// Read in chunks that overlap by 31 bytes, so that no copy
		// straddling a chunk boundary is missed, and none counted twice.
		for off := start; off < end; off += chunk {
			n := min(uint64(chunk+31), end-off)
			got, _ := mem.ReadAt(buf[:n], int64(off))
			limit := min(got-31, chunk) // positions past it are the next chunk's
			for i := 0; i < limit; i++ {
				if buf[i]^m.mask[0] != m.masked[0] {
					continue
				}
				j := 1
				for j < 32 && buf[i+j]^m.mask[j] == m.masked[j] {
					j++
				}
				if j == 32 {
					found++
					t.Logf("%s at %#x in %s", m.name, off+uint64(i), sc.Text())
				}
			}
		}
	}
	clear(buf)
	return found
}

// settle runs the garbage collector a few times, as an attacker would wait
// for: freed heap memory is what a leftover key copy would sit in.
func settle() {
	for range 3 {
		runtime.GC()
	}
}

// TestKeysLeaveMemory is the attacker of issue 11: after Unlock, a read
// and a write of a WhenUnlocked item, and Lock (then again after Close),
// the process's memory holds no copy of the WhenUnlocked class key or of
// the passcode KEK. Before Lock the same scan finds the class key, and
// the KEK while it is in use, so the test can fail.
func TestKeysLeaveMemory(t *testing.T) {
	ctx, s := openForMemoryTest(t, "memscan")
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	s.Lock()

	var kek *maskedKey
	kekWhileUsed := 0
	testHookPasscodeKEK = func(k []byte) {
		kek = newMaskedKey("passcode KEK", k)
		kekWhileUsed = kek.count(t)
	}
	defer func() { testHookPasscodeKEK = nil }()

	unlockAndUse := func() *maskedKey {
		t.Helper()
		if err := s.Unlock(ctx, []byte("1234")); err != nil {
			t.Fatal(err)
		}
		wu := &Options{KeychainAccessible: WhenUnlocked}
		if err := s.SetItem(ctx, "token", "a secret value", wu); err != nil {
			t.Fatal(err)
		}
		if v, err := s.GetItem(ctx, "token", wu); err != nil || v != "a secret value" {
			t.Fatalf("GetItem = %q, %v", v, err)
		}
		cs := s.own.readClasses()
		ck := newMaskedKey("WhenUnlocked class key", cs.slot(WhenUnlocked))
		cs.release()
		if kekWhileUsed == 0 {
			t.Fatal("the scan did not find the passcode KEK while Unlock used it: it cannot see keys")
		}
		settle()
		if n := ck.count(t); n == 0 {
			t.Fatal("the scan does not find the WhenUnlocked class key while unlocked: it cannot see keys")
		}
		return ck
	}
	check := func(when string, ks ...*maskedKey) {
		t.Helper()
		settle()
		for _, k := range ks {
			if n := k.count(t); n > 0 {
				t.Errorf("after %s: %d copies of the %s in memory", when, n, k.name)
			}
		}
	}

	ck := unlockAndUse()
	s.Lock()
	check("Lock", ck, kek)

	ck = unlockAndUse()
	cs := s.own.readClasses()
	always := newMaskedKey("Always class key", cs.slot(Always))
	cs.release()
	device := newMaskedKey("device key", s.own.device)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("Close", ck, kek, always)
	// The protector hands the device key over in memory of its own (the
	// file protector: age's decryption buffers), which the store cannot
	// wipe: docs/SECURITY.md. Reported, not asserted.
	settle()
	t.Logf("after Close: %d copies of the device key in memory", device.count(t))
}
