//go:build unix

package storage

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestEmptiedWhileAnotherCreates: an empty database file beside a WAL is
// damage only when no other process has the database open. While another
// process holds the -shm file's DMS lock, as SQLite does from its first
// read, that process is creating the store (its WAL's header and frames
// come before page 1 reaches the file), and Open must not call it
// truncated; once it is gone, the same files are refused.
func TestEmptiedWhileAnotherCreates(t *testing.T) {
	if path := os.Getenv("SECURESTORE_TEST_HOLD_DMS"); path != "" {
		holdDMS(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "app.db")
	for name, size := range map[string]int{path: 0, path + "-wal": 32, path + "-shm": 32 << 10} {
		if err := os.WriteFile(name, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := checkEmptied(path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("no other process: %v, want ErrCorrupt", err)
	}

	_, stdout, stop := child(t, "TestEmptiedWhileAnotherCreates", "SECURESTORE_TEST_HOLD_DMS="+path)
	if line, err := stdout.ReadString('\n'); err != nil || line != "holding\n" {
		t.Fatalf("the holder said %q, %v", line, err)
	}
	if err := checkEmptied(path); err != nil {
		t.Fatalf("while another process has it open: %v, want nil", err)
	}
	if err := stop(); err != nil { // the holder exits, and its lock goes with it
		t.Fatal(err)
	}
	if err := checkEmptied(path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("after the other process ended: %v, want ErrCorrupt", err)
	}
}

// holdDMS is the second process: it takes a read lock on the -shm file's
// DMS byte, as an SQLite connection does, says so, and holds it until its
// standard input closes.
func holdDMS(t *testing.T, path string) {
	f, err := os.OpenFile(path+"-shm", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_RDLCK, Whence: 0, Start: shmDMSOffset, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("holding\n")
	var b [1]byte
	os.Stdin.Read(b[:])
}
