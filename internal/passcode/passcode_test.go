package passcode

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestDelaySchedule(t *testing.T) {
	// Attempts 1-3 are free; after the 3rd failure the next attempt waits
	// 1 s, then 2 s, 4 s, ...
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for n, w := range want {
		if got := (Failures{Count: n}).Delay(); got != w {
			t.Errorf("Delay after %d failures = %v, want %v", n, got, w)
		}
	}
	for _, n := range []int{13, 14, 40, 1 << 30} {
		if got := (Failures{Count: n}).Delay(); got != MaxDelay {
			t.Errorf("Delay after %d failures = %v, want the cap %v", n, got, MaxDelay)
		}
	}
	last := time.Unix(1000, 0)
	f := Failures{Count: 5, Last: last}
	if got := f.Wait(last.Add(time.Second)); got != 3*time.Second {
		t.Errorf("Wait 1 s after the 5th failure = %v, want 3 s of its 4 s", got)
	}
	if got := f.Wait(last.Add(time.Minute)); got != 0 {
		t.Errorf("Wait a minute later = %v", got)
	}
}

func TestEncoding(t *testing.T) {
	f := Failures{Count: 7, Last: time.Unix(1234, 5678)}
	if g := DecodeFailures(f.Encode()); g.Count != f.Count || !g.Last.Equal(f.Last) {
		t.Errorf("failures round trip: %+v", g)
	}
	if g := DecodeFailures([]byte("short")); g.Delay() != MaxDelay {
		t.Errorf("damaged failures decode to %+v; tampering must not reset the delay", g)
	}
	p := New(Default)
	q, err := Decode(p.Encode())
	if err != nil || q != p {
		t.Fatalf("params round trip: %+v, %v", q, err)
	}
	if p.Salt == New(Default).Salt {
		t.Error("two New calls share a salt")
	}
	for _, bad := range [][]byte{nil, p.Encode()[:10], append([]byte{2}, p.Encode()[1:]...),
		(Params{Time: 0, Memory: 1024, Threads: 1}).Encode(),
		(Params{Time: 1, Memory: 1 << 30, Threads: 1}).Encode()} {
		if _, err := Decode(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("Decode(%x) = %v, want ErrFormat", bad, err)
		}
	}
}

func TestKey(t *testing.T) {
	p := New(TestOnlyCheap())
	k := p.Key([]byte("1234"))
	if len(k) != KeySize || !bytes.Equal(k, p.Key([]byte("1234"))) || bytes.Equal(k, p.Key([]byte("1235"))) {
		t.Fatal("Key is not a deterministic function of the passcode")
	}
	if Default.Memory < 64*1024 {
		t.Fatalf("the default uses %d KiB; the floor is 64 MiB", Default.Memory)
	}
}

// TestWaitClockSetBack: a failure recorded while the clock ran a day
// ahead costs the next attempt the delay, not the day.
func TestWaitClockSetBack(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	f := Failures{Count: 5, Last: now.Add(24 * time.Hour)}
	if got := f.Wait(now); got != f.Delay() {
		t.Errorf("Wait with the latest failure a day ahead = %v, want the delay %v", got, f.Delay())
	}
}
