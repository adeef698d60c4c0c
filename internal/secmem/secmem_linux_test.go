package secmem

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// vmFlags returns the VmFlags line of the mapping in /proc/self/smaps
// that holds addr.
func vmFlags(t *testing.T, addr uintptr) []string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-"); ok && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(addr) >= l && uint64(addr) < h
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.Fields(strings.TrimPrefix(line, "VmFlags:"))
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return nil
}

func TestBufferIsLockedAndNotDumped(t *testing.T) {
	b := New(32)
	defer b.Free()
	flags := vmFlags(t, uintptr(unsafe.Pointer(&b.Bytes()[0])))
	if !contains(flags, "dd") {
		t.Errorf("VmFlags %v lack dd (MADV_DONTDUMP)", flags)
	}
	if b.Locked() != contains(flags, "lo") {
		t.Errorf("Locked() = %v but VmFlags %v", b.Locked(), flags)
	}
	if os.Geteuid() == 0 && !b.Locked() {
		t.Error("root (CAP_IPC_LOCK) got an unlocked buffer")
	}
}

// TestMlockRefused: over RLIMIT_MEMLOCK the buffer still works, unlocked.
func TestMlockRefused(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root locks memory past RLIMIT_MEMLOCK (CAP_IPC_LOCK)")
	}
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: 0, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	b := New(32)
	unix.Setrlimit(unix.RLIMIT_MEMLOCK, &old)
	defer b.Free()
	if b.Locked() {
		t.Fatal("Locked() with RLIMIT_MEMLOCK 0")
	}
	copy(b.Bytes(), "usable")
	if string(b.Bytes()[:6]) != "usable" {
		t.Fatal("unlocked buffer does not hold its bytes")
	}
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

// TestDisableCoreDumps runs DisableCoreDumps in a child process (it cannot
// be undone in this one) and checks what the child reports of itself, and,
// from outside, that the kernel treats it as not dumpable.
func TestDisableCoreDumps(t *testing.T) {
	if os.Getenv("SECMEM_CHILD") == "1" {
		if err := DisableCoreDumps(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		var rl unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_CORE, &rl)
		d, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		fmt.Printf("core %d %d dumpable %d\n", rl.Cur, rl.Max, d)
		os.Stdin.Read(make([]byte, 1)) // stay alive until the parent looked
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDisableCoreDumps$")
	cmd.Env = append(os.Environ(), "SECMEM_CHILD=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if line != "core 0 0 dumpable 0\n" {
		t.Fatalf("child reports %q, want RLIMIT_CORE 0/0 and dumpable 0", line)
	}
	// A process that is not dumpable has its /proc/PID files owned by
	// root, so that other processes of its user cannot read its memory.
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/mem", cmd.Process.Pid), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 0 {
		t.Fatalf("/proc/PID/mem of the child is owned by uid %d, want 0 (not dumpable)", st.Uid)
	}
	// The same check on ourselves, dumpable, shows the test can fail.
	if err := unix.Stat("/proc/self/mem", &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != uint32(os.Geteuid()) {
		t.Fatalf("our own /proc/self/mem is owned by uid %d, want %d", st.Uid, os.Geteuid())
	}
}
