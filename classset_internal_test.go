package securestore

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/testonly"
)

// openForMemoryTest opens a store with the file protector and cheap KDFs.
func openForMemoryTest(t testing.TB, app string) (context.Context, *Store) {
	t.Helper()
	ctx := testonly.WithCheapKDFs(context.Background())
	s, err := Open(ctx, Config{App: app, Dir: filepath.Join(t.TempDir(), "store"), Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return ctx, s
}

// TestRetiredClassSetWaitsForItsReader: a set replaced while a reader
// holds it keeps its keys until that reader releases it, then is wiped.
func TestRetiredClassSetWaitsForItsReader(t *testing.T) {
	_, s := openForMemoryTest(t, "retire")
	v := s.own
	old := v.readClasses()
	want := bytes.Clone(old.slot(Always))
	v.publish(old.lockedCopy())
	if old.buf.Bytes() == nil || !bytes.Equal(old.slot(Always), want) {
		t.Fatal("a replaced class set was wiped while a reader still held it")
	}
	old.release()
	if old.buf.Bytes() != nil {
		t.Fatal("a replaced class set was not wiped when its last reader released it")
	}
	if old.acquire() {
		t.Fatal("a wiped class set took a new reader")
	}
	if old.buf.Bytes() != nil {
		t.Fatal("a replaced class set was not wiped when its last reader released it")
	}
	cur := v.readClasses()
	defer cur.release()
	if !bytes.Equal(cur.slot(Always), want) {
		t.Fatal("the new class set lost the Always key")
	}
}

// TestClassSetSwapUnderReaders runs readers that seal and open with the
// class keys while the keys are swapped under them as fast as possible (a
// set wiped under a reader would fail to open, or fault on its unmapped
// buffer), and GetItem/SetItem concurrently with Lock and Unlock. Run it
// with -race.
func TestClassSetSwapUnderReaders(t *testing.T) {
	ctx, s := openForMemoryTest(t, "swap")
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	wu := &Options{KeychainAccessible: WhenUnlocked}
	if err := s.SetItem(ctx, "k", "value", wu); err != nil {
		t.Fatal(err)
	}
	v := s.own
	ad := record.ItemAD(v.id, "svc", "key", uint8(Always))
	cs := v.readClasses()
	aead, _ := cs.aead(Always)
	sealed := record.Seal(aead, []byte("plain"), ad)
	record.ZeroAEAD(aead)
	cs.release()

	const rounds = 3000
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	done := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				// Hold the set over several uses, each reading the
				// key buffer afresh, to widen the window a premature
				// wipe would hit.
				cs := v.readClasses()
				for range 20 {
					aead, err := cs.aead(Always)
					if err != nil {
						errs <- err
						break
					}
					pt, err := record.Open(aead, sealed, ad)
					record.ZeroAEAD(aead)
					if err != nil || string(pt) != "plain" {
						errs <- errors.New("a reader's class key changed under it")
						break
					}
				}
				cs.release()
				if len(errs) > 0 {
					return
				}
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			got, err := s.GetItem(ctx, "k", wu)
			if err != nil && !errors.Is(err, ErrLocked) || err == nil && got != "value" {
				errs <- errors.New("GetItem during Lock/Unlock: " + got + " " + errString(err))
				return
			}
		}
	})
	for i := range rounds {
		cur := v.readClasses()
		v.publish(cur.with(nil, cur.hasPasscode))
		cur.release()
		if i%500 == 0 {
			s.Lock()
			if err := s.Unlock(ctx, []byte("1234")); err != nil {
				t.Error(err)
			}
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// BenchmarkClassKeyPerOperation is what the per-operation cipher adds to
// GetItem and SetItem: a reference to the class set, a cipher built from
// the key buffer, and the cipher zeroed.
func BenchmarkClassKeyPerOperation(b *testing.B) {
	_, s := openForMemoryTest(b, "perop")
	v := s.own
	for b.Loop() {
		cs := v.readClasses()
		aead, _ := cs.aead(Always)
		record.ZeroAEAD(aead)
		cs.release()
	}
}

// BenchmarkCachedAEAD is the old way for comparison: one long-lived cipher.
func BenchmarkCachedAEAD(b *testing.B) {
	aead, _ := record.NewAEAD(keys.New())
	sink := 0
	for b.Loop() {
		sink += aead.NonceSize()
	}
	_ = sink
}
