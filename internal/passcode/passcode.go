// Package passcode turns a passcode into a key and decides how long a
// guesser must wait: Argon2id with parameters stored beside each store, and
// a delay that grows with consecutive wrong passcodes.
package passcode

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"
)

// KeySize is the length of a derived passcode key.
const KeySize = 32

// Params are the Argon2id parameters of one store, chosen when its passcode
// is set and stored with it, so that later versions can raise the default
// without locking anyone out.
type Params struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
	Salt    [16]byte
}

// Default is tuned to about half a second on a 2-core machine of 2026, with
// 64 MiB of memory: slow for a guesser, unnoticed once per unlock. On the
// project's test machine, idle, 24 passes took 0.42–0.45 s (8 passes, the
// first setting, took 0.15 s: it had been tuned while the machine was
// busy). Stores keep the parameters they were made with, so raising this
// leaves existing passcodes working.
var Default = Params{Time: 24, Memory: 64 * 1024, Threads: 2}

// TestOnlyCheap returns parameters (1 pass over 1 MiB) that only tests
// may use, so that suites that set many passcodes stay fast. Stores keep
// whatever parameters they were created with.
func TestOnlyCheap() Params { return Params{Time: 1, Memory: 1024, Threads: 1} }

// New returns cost (Default, outside tests) with a fresh random salt.
func New(cost Params) Params {
	p := cost
	if _, err := rand.Read(p.Salt[:]); err != nil {
		panic("securestore: crypto/rand failed: " + err.Error())
	}
	return p
}

// Key derives the passcode key. The caller wipes it after use.
func (p Params) Key(passcode []byte) []byte {
	return argon2.IDKey(passcode, p.Salt[:], p.Time, p.Memory, p.Threads, KeySize)
}

const encodedVersion = 1

// Encode serialises p for the store's meta table (docs/FORMAT.md):
// version ‖ u32 time ‖ u32 memory KiB ‖ u8 threads ‖ salt[16].
func (p Params) Encode() []byte {
	b := []byte{encodedVersion}
	b = binary.BigEndian.AppendUint32(b, p.Time)
	b = binary.BigEndian.AppendUint32(b, p.Memory)
	b = append(b, p.Threads)
	return append(b, p.Salt[:]...)
}

// ErrFormat reports stored parameters that do not parse or are out of range.
var ErrFormat = errors.New("malformed passcode parameters")

// Decode parses parameters written by Encode.
func Decode(b []byte) (Params, error) {
	var p Params
	if len(b) != 1+4+4+1+16 || b[0] != encodedVersion {
		return p, ErrFormat
	}
	p.Time = binary.BigEndian.Uint32(b[1:])
	p.Memory = binary.BigEndian.Uint32(b[5:])
	p.Threads = b[9]
	copy(p.Salt[:], b[10:])
	// Bounds keep a damaged or hostile file from asking for terabytes.
	if p.Time < 1 || p.Time > 1000 || p.Memory < 8 || p.Memory > 4<<20 || p.Threads < 1 {
		return p, fmt.Errorf("%w: time %d, memory %d KiB, threads %d", ErrFormat, p.Time, p.Memory, p.Threads)
	}
	return p, nil
}

// Failures is the persisted count of consecutive wrong passcodes.
type Failures struct {
	Count int
	Last  time.Time // of the latest wrong passcode
}

// freeAttempts is how many wrong passcodes cost nothing: typos happen.
const freeAttempts = 3

// MaxDelay caps the wait, so that a forgotten passcode never locks a user
// out for good.
const MaxDelay = 15 * time.Minute

// Delay is how long after the latest failure the next attempt must wait:
// nothing while Count < 3, then 1 s, 2 s, 4 s, ... up to MaxDelay.
func (f Failures) Delay() time.Duration {
	if f.Count < freeAttempts {
		return 0
	}
	shift := f.Count - freeAttempts
	if shift > 20 {
		return MaxDelay
	}
	return min(time.Second<<shift, MaxDelay)
}

// Wait is how long an attempt made at now must still wait: what is left
// of Delay since the latest failure, and never more than Delay itself. A
// latest failure that lies in the future (the clock was set back since,
// or the record was altered) would otherwise make the wait as long as the
// clock is wrong, up to centuries.
func (f Failures) Wait(now time.Time) time.Duration {
	if f.Count == 0 {
		return 0
	}
	d := f.Delay()
	return min(max(f.Last.Add(d).Sub(now), 0), d)
}

// Encode serialises f: u32 count ‖ i64 unix nanoseconds of the last failure.
func (f Failures) Encode() []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(f.Count))
	return binary.BigEndian.AppendUint64(b, uint64(f.Last.UnixNano()))
}

// DecodeFailures parses Encode's output. A damaged record reads as many
// failures, so that garbling it does not shorten the delay; its time is
// unknown, so the next attempt goes ahead and restarts the clock at
// MaxDelay. Deleting the record does reset the count: the delay slows
// guessing through the API only. Whoever can write the store's file can
// reset it (and, with the file protector, guess offline anyway); only a
// protector that counts in hardware (the TPM's dictionary-attack
// protection) counts where no file edit reaches.
func DecodeFailures(b []byte) Failures {
	if len(b) != 12 {
		return Failures{Count: freeAttempts + 20, Last: time.Time{}}
	}
	return Failures{
		Count: int(binary.BigEndian.Uint32(b)),
		Last:  time.Unix(0, int64(binary.BigEndian.Uint64(b[4:]))),
	}
}
