package securestore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/testonly"
)

// AppendItem is GetItem into the caller's buffer: for every outcome,
// success or error, it answers what GetItem answers, appends a value after
// what dst held, and on an error gives dst back as it was.
func TestAppendItemAnswersAsGetItem(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	dir := filepath.Join(t.TempDir(), "stores")
	s, err := securestore.Open(ctx, securestore.Config{App: "appended", Dir: dir, Protector: "file", Agent: securestore.AgentOff})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Always: these stay readable after the passcode below locks the store.
	always := &securestore.Options{KeychainAccessible: securestore.Always}
	svc := &securestore.Options{KeychainService: "svc", KeychainAccessible: securestore.Always}
	wu := &securestore.Options{KeychainAccessible: securestore.WhenUnlocked}
	long := strings.Repeat("v", 2048)
	for _, it := range []struct {
		key, value string
		opts       *securestore.Options
	}{{"tok", "s3cret", always}, {"empty", "", always}, {"long", long, always}, {"tok", "in another service", svc}} {
		if err := s.SetItem(ctx, it.key, it.value, it.opts); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetItem(ctx, "locked", "when unlocked", wu); err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(); err != nil {
		t.Fatal(err)
	}

	sentinels := []error{securestore.ErrNotFound, securestore.ErrInvalidKey, securestore.ErrLocked, securestore.ErrCorrupt}
	for _, c := range []struct {
		name, key string
		opts      *securestore.Options
		ok        bool
	}{
		{"present", "tok", nil, true},
		{"empty value", "empty", nil, true},
		{"2 KB value", "long", nil, true},
		{"other service", "tok", svc, true},
		{"absent", "nothing-here", nil, false},
		{"absent in the service", "empty", svc, false},
		{"invalid key", "not a key!", nil, false},
		{"locked class", "locked", wu, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, wantErr := s.GetItem(ctx, c.key, c.opts)
			if (wantErr == nil) != c.ok {
				t.Fatalf("GetItem: %q, %v", want, wantErr)
			}
			for _, room := range []int{0, 4096} {
				dst := append(make([]byte, 0, 4+room), "pre:"...)
				got, err := s.AppendItem(ctx, dst, c.key, c.opts)
				if wantErr != nil {
					if err == nil || err.Error() != wantErr.Error() {
						t.Fatalf("AppendItem error %v, GetItem error %v", err, wantErr)
					}
					for _, e := range sentinels {
						if errors.Is(err, e) != errors.Is(wantErr, e) {
							t.Fatalf("errors.Is(%v, %v) differs from GetItem's", err, e)
						}
					}
					if string(got) != "pre:" || &got[0] != &dst[0] {
						t.Fatalf("AppendItem changed dst on an error: %q", got)
					}
					continue
				}
				if err != nil || string(got) != "pre:"+want {
					t.Fatalf("AppendItem = %q, %v; want %q", got, err, "pre:"+want)
				}
				if room > 0 && &got[0] != &dst[0] {
					t.Fatal("AppendItem allocated a new buffer although dst had room")
				}
			}
		})
	}

	if err := s.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AppendItem(ctx, nil, "locked", wu); err != nil || string(got) != "when unlocked" {
		t.Fatalf("AppendItem after Unlock: %q, %v", got, err)
	}
}

// A damaged value fails with ErrCorrupt and leaves nothing of its
// plaintext in the caller's buffer, not even in the capacity past its
// length: the store's attacker with a copy of the files can flip a byte of
// a ciphertext, and a stream cipher decrypts the rest of it correctly.
func TestAppendItemDamagedValueLeavesNoPlaintext(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "stores")
	s, err := securestore.Open(ctx, securestore.Config{App: "damaged", Dir: dir, Protector: "file", Agent: securestore.AgentOff})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	value := strings.Repeat("0123456789abcdef", 64)
	if err := s.SetItem(ctx, "tok", value, &securestore.Options{KeychainAccessible: securestore.Always}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetItem(ctx, "tok", nil); err != nil { // now in the row cache
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.damaged.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rowid int64
	var blob []byte
	if err := db.QueryRow(`SELECT rowid, value FROM items`).Scan(&rowid, &blob); err != nil {
		t.Fatal(err)
	}
	blob[len(blob)/2] ^= 0x40 // a byte of the ciphertext, far from the tag
	if _, err := db.Exec(`UPDATE items SET value = ? WHERE rowid = ?`, blob, rowid); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 0, 4096)
	got, err := s.AppendItem(ctx, buf, "tok", &securestore.Options{KeychainAccessible: securestore.Always})
	if !errors.Is(err, securestore.ErrCorrupt) || len(got) != 0 {
		t.Fatalf("AppendItem of a damaged value: %d bytes, %v; want ErrCorrupt and nothing", len(got), err)
	}
	if bytes.Contains(buf[:cap(buf)], []byte("0123456789abcdef")) {
		t.Fatal("the plaintext of a damaged value was left in the caller's buffer")
	}
}

// AppendItem into a buffer the caller reuses allocates nothing for the
// value; GetItem allocates the value each time (the one allocation its
// string result needs). Measured in bytes, over many reads of a 2 KB value.
func TestAppendItemDoesNotAllocateTheValue(t *testing.T) {
	ctx := context.Background()
	s, err := securestore.Open(ctx, securestore.Config{App: "noalloc", Dir: filepath.Join(t.TempDir(), "stores"), Protector: "file", Agent: securestore.AgentOff})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const size = 2048
	if err := s.SetItem(ctx, "tok", strings.Repeat("x", size), nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, size)
	perRead := func(read func()) uint64 {
		read() // fill the row cache
		const n = 500
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range n {
			read()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / n
	}
	appendBytes := perRead(func() {
		var err error
		if buf, err = s.AppendItem(ctx, buf[:0], "tok", nil); err != nil || len(buf) != size {
			t.Fatalf("AppendItem: %d bytes, %v", len(buf), err)
		}
	})
	getBytes := perRead(func() {
		if v, err := s.GetItem(ctx, "tok", nil); err != nil || len(v) != size {
			t.Fatalf("GetItem: %d bytes, %v", len(v), err)
		}
	})
	if getBytes < size {
		t.Fatalf("GetItem allocated %d bytes per read of a %d-byte value: the measure does not see the value", getBytes, size)
	}
	if appendBytes >= size/2 {
		t.Fatalf("AppendItem into a reused buffer allocated %d bytes per read of a %d-byte value", appendBytes, size)
	}
	t.Logf("bytes allocated per read: GetItem %d, AppendItem %d", getBytes, appendBytes)
}

// Through the agent (a class this handle holds locked), AppendItem appends
// what GetItem returns.
func TestAppendItemThroughTheAgent(t *testing.T) {
	ctx := testonly.WithCheapKDFs(context.Background())
	sock, _ := runAgent(t)
	dir := filepath.Join(t.TempDir(), "stores")
	owner := agentStore(t, dir, sock)
	if err := owner.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	wu := &securestore.Options{KeychainAccessible: securestore.WhenUnlocked}
	if err := owner.SetItem(ctx, "wu", "through the agent", wu); err != nil {
		t.Fatal(err)
	}
	if err := owner.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	other := agentStore(t, dir, sock)
	got, err := other.AppendItem(ctx, []byte("pre:"), "wu", wu)
	if err != nil || string(got) != "pre:through the agent" {
		t.Fatalf("AppendItem through the agent: %q, %v", got, err)
	}
	if err := other.Lock(); err != nil {
		t.Fatal(err)
	}
	got, err = other.AppendItem(ctx, []byte("pre:"), "wu", wu)
	if !errors.Is(err, securestore.ErrLocked) || string(got) != "pre:" {
		t.Fatalf("AppendItem with the agent locked: %q, %v", got, err)
	}
}
