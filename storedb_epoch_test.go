package securestore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/securestore-go/securestore/internal/storage"
	"github.com/securestore-go/securestore/internal/testdir"
	"github.com/securestore-go/securestore/protector"
)

// testCounter is a protector with monotonic counters, as the TPM's NV
// counters are, kept in this process's memory: a fake for the tests of
// the rollback check. It wraps like testKMS. failIncrement makes the next
// IncrementCounter fail, as a crash before it would.
type testCounter struct{ testKMS }

var counters = struct {
	sync.Mutex
	n             map[string]uint64
	failIncrement bool
}{n: map[string]uint64{}}

func init() {
	protector.Register(testCounter{}, protector.PreferenceFallback+1000)
}

func (testCounter) Name() string { return "test-counter" }

func (k testCounter) Wrap(ctx context.Context, scope protector.Scope, key []byte) ([]byte, error) {
	return k.testKMS.Wrap(ctx, scope, key)
}

func (testCounter) CreateCounter(_ context.Context, scope protector.Scope) ([]byte, error) {
	counters.Lock()
	defer counters.Unlock()
	id := fmt.Sprintf("%s/%s#%d", scope.Dir, scope.Store, len(counters.n))
	counters.n[id] = 0
	return []byte(id), nil
}

func (testCounter) ReadCounter(_ context.Context, _ protector.Scope, blob []byte) (uint64, error) {
	counters.Lock()
	defer counters.Unlock()
	c, ok := counters.n[string(blob)]
	if !ok {
		return 0, protector.ErrKeyMissing
	}
	return c, nil
}

func (testCounter) IncrementCounter(_ context.Context, _ protector.Scope, blob []byte) (uint64, error) {
	counters.Lock()
	defer counters.Unlock()
	if counters.failIncrement {
		counters.failIncrement = false
		return 0, protector.ErrUnavailable
	}
	counters.n[string(blob)]++
	return counters.n[string(blob)], nil
}

func epochCopy(t *testing.T, src, dst string) {
	t.Helper()
	es, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRollbackDetectedWithCounter(t *testing.T) {
	ctx := t.Context()
	dir, old := testdir.New(t), testdir.New(t)
	cfg := Config{App: "rb", Dir: dir, Protector: "test-counter"}
	session := func(key, value string) {
		t.Helper()
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetItem(ctx, key, value, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.SetItem(ctx, key+"2", value, nil); err != nil { // one advance per session
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	session("token", "old")
	epochCopy(t, dir, old) // the copy an attacker keeps
	session("token", "new")

	// The current store opens; the old copy put back does not.
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("the current store: %v", err)
	}
	s.Close()
	epochCopy(t, old, dir)
	if _, err := Open(ctx, cfg); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a rolled-back store: %v; want ErrCorrupt", err)
	}
}

// TestCounterCrashNoFalseAlarm: a crash after the epoch committed and
// before the counter advanced leaves the epoch ahead: no alarm.
func TestCounterCrashNoFalseAlarm(t *testing.T) {
	ctx := t.Context()
	dir := testdir.New(t)
	cfg := Config{App: "rbcrash", Dir: dir, Protector: "test-counter"}
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	counters.Lock()
	counters.failIncrement = true
	counters.Unlock()
	if err := s.SetItem(ctx, "k", "v", nil); !errors.Is(err, protector.ErrUnavailable) {
		t.Fatalf("SetItem with the counter failing: %v", err)
	}
	s.Close()
	s, err = Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open after the interrupted advance: %v", err)
	}
	defer s.Close()
	if err := s.SetItem(ctx, "k", "v", nil); err != nil {
		t.Fatal(err)
	}
	var e uint64
	if b, err := metaOf(t, s, metaEpoch); err == nil {
		e = binary.BigEndian.Uint64(b)
	}
	if e != 2 {
		t.Errorf("epoch %d after two advances, want 2", e)
	}
}

func metaOf(t *testing.T, s *Store, name string) ([]byte, error) {
	t.Helper()
	var v []byte
	err := s.own.db.View(t.Context(), func(tx *storage.Tx) error {
		var err error
		v, err = tx.Meta(name)
		return err
	})
	return v, err
}
