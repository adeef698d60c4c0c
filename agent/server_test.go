package agent

import (
	"bytes"
	"context"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/securestore-go/securestore/internal/secmem"
)

var ctx = context.Background()

func TestUnlockOpenSealLock(t *testing.T) {
	u := newTestUnlocker()
	_, c, _ := startServer(t, Options{Unlocker: u})

	it := Item{Store: testRef, Class: 1, Service: "svc", Key: "k"}
	_, _, err := c.Seal(ctx, it, []byte("v"))
	wantErr(t, err, ErrLocked)

	_, err = c.Unlock(ctx, testRef, []byte("wrong"))
	wantErr(t, err, ErrWrongPasscode)
	gen := must[uint64](t)(c.Unlock(ctx, testRef, []byte("1234")))
	if gen != u.generation {
		t.Fatalf("generation %d, want %d", gen, u.generation)
	}
	sealed, g, err := c.Seal(ctx, it, []byte("value"))
	if err != nil || g != gen {
		t.Fatalf("Seal: %v (generation %d)", err, g)
	}
	v, _, err := c.Open(ctx, it, sealed)
	if err != nil || string(v) != "value" {
		t.Fatalf("Open = %q, %v", v, err)
	}
	// The names are bound: the same record under another key does not open.
	other := it
	other.Key = "other"
	_, _, err = c.Open(ctx, other, sealed)
	wantErr(t, err, ErrNotAuthentic)

	afu := Item{Store: testRef, Class: 2, Service: "svc", Key: "k"}
	sealedAFU := must[[]byte](t)(func() ([]byte, error) { b, _, err := c.Seal(ctx, afu, []byte("afu")); return b, err }())

	st := must[[]StoreStatus](t)(c.Status(ctx, StoreRef{}))
	if len(st) != 1 || st[0].Locked || len(st[0].Classes) != 2 || st[0].UnlockedAt == 0 {
		t.Fatalf("status after unlock: %+v", st)
	}

	if err := c.Lock(ctx, StoreRef{}); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Open(ctx, it, sealed)
	wantErr(t, err, ErrLocked)
	// AfterFirstUnlock stays until the agent ends.
	if v, _, err := c.Open(ctx, afu, sealedAFU); err != nil || string(v) != "afu" {
		t.Fatalf("AfterFirstUnlock after Lock: %q, %v", v, err)
	}
	st = must[[]StoreStatus](t)(c.Status(ctx, testRef))
	if len(st) != 1 || !st[0].Locked {
		t.Fatalf("status after lock: %+v", st)
	}

	// A generation the agent's keys are not of: locked, and the keys go.
	_, _, err = c.Open(ctx, Item{Store: testRef, Class: 2, Service: "svc", Key: "k", Generation: gen + 1}, sealedAFU)
	wantErr(t, err, ErrLocked)
	c.Status(ctx, testRef) // the keys are dropped once the request is done; wait for a round trip
	waitFor(t, func() bool { st, _ := c.Status(ctx, testRef); return len(st) == 0 })

	log := must[[]LogEntry](t)(c.Log(ctx))
	var opens int
	for _, e := range log {
		if e.Op == OpOpen && e.Result == "ok" {
			opens++
			if e.Store != "app:com.example.test" || e.Service != "svc" || e.Key != "k" || e.UID == 0 && e.PID == 0 {
				t.Errorf("log entry %+v", e)
			}
			if e.PID > 0 && e.Exe == "" {
				t.Errorf("log entry without the executable: %+v", e)
			}
		}
		if bytes.Contains([]byte(e.Result+e.Exe+e.Key), []byte("value")) {
			t.Errorf("the log holds a value: %+v", e)
		}
	}
	if opens != 2 {
		t.Errorf("%d successful opens logged, want 2: %+v", opens, log)
	}
}

// waitFor waits for an asynchronous effect of something the test did (a
// request's aftermath, a killed peer's closed socket), yielding between
// checks; it fails after 30 s instead of hanging. The time is a bound on
// failure, not a wait: the check passes as soon as the effect happened.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		runtime.Gosched()
	}
	t.Fatal("condition never became true")
}

func TestAutoLock(t *testing.T) {
	clk := newFakeClock()
	_, c, _ := startServer(t, Options{Unlocker: newTestUnlocker(), Clock: clk, LockAfter: 15 * time.Minute, MaxUnlocked: time.Hour})
	it := Item{Store: testRef, Class: 1, Service: "s", Key: "k"}
	must[uint64](t)(c.Unlock(ctx, testRef, []byte("1234")))
	sealed := must[[]byte](t)(func() ([]byte, error) { b, _, err := c.Seal(ctx, it, []byte("v")); return b, err }())

	st := must[[]StoreStatus](t)(c.Status(ctx, testRef))[0]
	if got := time.Unix(0, st.IdleLockAt).Sub(clk.Now()); got != 15*time.Minute {
		t.Fatalf("idle lock in %v, want 15m", got)
	}
	if got := time.Unix(0, st.MaxLockAt).Sub(clk.Now()); got != time.Hour {
		t.Fatalf("max lock in %v, want 1h", got)
	}
	// Used every 10 minutes: the idle lock keeps moving, the maximum not.
	for range 5 {
		clk.Advance(10 * time.Minute)
		if _, _, err := c.Open(ctx, it, sealed); err != nil {
			t.Fatalf("at %v: %v", clk.Now(), err)
		}
	}
	clk.Advance(10 * time.Minute) // 60 minutes since Unlock
	_, _, err := c.Open(ctx, it, sealed)
	wantErr(t, err, ErrLocked)

	must[uint64](t)(c.Unlock(ctx, testRef, []byte("1234")))
	clk.Advance(15 * time.Minute) // idle
	_, _, err = c.Open(ctx, it, sealed)
	wantErr(t, err, ErrLocked)
}

// The auto-lock also wipes without a request: the timer fires.
func TestAutoLockTimerWipes(t *testing.T) {
	clk := newFakeClock()
	s, c, _ := startServer(t, Options{Unlocker: newTestUnlocker(), Clock: clk, LockAfter: time.Minute})
	must[uint64](t)(c.Unlock(ctx, testRef, []byte("1234")))
	waitFor(t, func() bool { clk.mu.Lock(); defer clk.mu.Unlock(); return len(clk.waiters) > 0 })
	clk.Advance(time.Minute)
	waitFor(t, func() bool {
		s.keys.mu.RLock()
		defer s.keys.mu.RUnlock()
		sk := s.keys.stores[storeName(testRef)]
		return sk == nil || sk.locked()
	})
}

func TestLockEvents(t *testing.T) {
	events := make(chan LockEvent)
	_, c, _ := startServer(t, Options{Unlocker: newTestUnlocker(), LockEvents: events})
	must[uint64](t)(c.Unlock(ctx, testRef, []byte("1234")))
	events <- LockEvent{Reason: "session locked"}
	events <- LockEvent{Reason: "before sleep"} // the first is handled once the second is taken
	st := must[[]StoreStatus](t)(c.Status(ctx, testRef))
	if len(st) != 1 || !st[0].Locked {
		t.Fatalf("after a lock event: %+v", st)
	}
}

// Lock while Opens are in flight: once Lock has returned, no Open that
// starts returns a value, and every Open either returned the value or
// ErrLocked.
func TestLockWhileInFlight(t *testing.T) {
	_, c, _ := startServer(t, Options{Unlocker: newTestUnlocker()})
	it := Item{Store: testRef, Class: 1, Service: "s", Key: "k"}
	must[uint64](t)(c.Unlock(ctx, testRef, []byte("1234")))
	sealed := must[[]byte](t)(func() ([]byte, error) { b, _, err := c.Seal(ctx, it, []byte("v")); return b, err }())

	var locked sync.WaitGroup
	locked.Add(1)
	lockDone := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-lockDone:
					// Started after Lock returned: must be locked.
					if v, _, err := c.Open(ctx, it, sealed); err == nil {
						errs <- "value after Lock: " + string(v)
					}
					return
				default:
				}
				v, _, err := c.Open(ctx, it, sealed)
				if err != nil && !isLocked(err) || err == nil && string(v) != "v" {
					errs <- "goroutine " + string(rune('0'+g)) + ": " + err.Error()
				}
				if i == 20 && g == 0 {
					locked.Done()
				}
			}
		}()
	}
	locked.Wait()
	if err := c.Lock(ctx, StoreRef{}); err != nil {
		t.Fatal(err)
	}
	close(lockDone)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func isLocked(err error) bool { return err != nil && errorsIs(err, ErrLocked) }

// chanPrompter answers each AskPasscode with the next passcode the test
// sends, and reports the prompt it was asked.
type chanPrompter struct {
	asked   chan PromptText
	answers chan string
}

func (p *chanPrompter) AskPasscode(ctx context.Context, text PromptText) (*secmem.Buffer, error) {
	p.asked <- text
	select {
	case a := <-p.answers:
		return secmem.Copy([]byte(a)), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// An Unlock request without a passcode asks the Prompter (the pinentry
// hook); with none, it is refused.
func TestPrompterHook(t *testing.T) {
	_, plain, _ := startServer(t, Options{Unlocker: newTestUnlocker()})
	_, err := plain.Unlock(ctx, testRef, nil)
	wantErr(t, err, ErrRefused)

	p := &chanPrompter{asked: make(chan PromptText, 1), answers: make(chan string, 1)}
	_, c, _ := startServer(t, Options{Unlocker: newTestUnlocker(), Prompter: p})
	p.answers <- "1234"
	must[uint64](t)(c.Unlock(ctx, testRef, nil))
	if text := <-p.asked; !strings.Contains(text.Description, "app:com.example.test") {
		t.Errorf("prompt %+v does not name the store", text)
	}
	st := must[[]StoreStatus](t)(c.Status(ctx, testRef))
	if len(st) != 1 || st[0].Locked {
		t.Fatalf("after a prompted unlock: %+v", st)
	}
}

func TestStatusListsSyncedStores(t *testing.T) {
	want := []SyncStatus{{Store: "app:a", Running: true, PID: 12, Restarts: 2, LastExit: "exit status 1"}}
	_, c, _ := startServer(t, Options{Unlocker: newTestUnlocker(), Synced: func() []SyncStatus { return want }})
	got, err := c.Synced(context.Background())
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Synced: %+v, %v", got, err)
	}
	_, c2, _ := startServer(t, Options{Unlocker: newTestUnlocker()})
	if got, err := c2.Synced(context.Background()); err != nil || got != nil {
		t.Fatalf("Synced of an agent without --sync: %+v, %v", got, err)
	}
}
