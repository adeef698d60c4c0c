package tpm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/go-tpm/tpm2"
	"github.com/securestore-go/securestore/protector"
)

// The tpm protector implements protector.Counter with NV counters: NV
// indices of type counter (TPM_NT_COUNTER), which the TPM only ever
// increments, in its own non-volatile memory. A store that records the
// counter's value in its files can then tell a copy of its files from
// before (a backup written back, a rolled-back disk) from its current
// state, which no check inside the files can.
//
// Each store gets its own index, chosen at random in the owner's range of
// NV indices, defined with the owner hierarchy's (empty) auth. Reading and
// incrementing it takes the index's own auth value: a random value kept in
// the counter's blob, so that only a process that can read the store's
// files moves its counter. noDA: a wrong auth there is a damaged blob, not
// a guess worth counting. Not orderly: every increment is written to the
// TPM's NV memory before the TPM answers, so a power cut never loses one
// (an orderly counter would jump ahead instead, which the store would take
// for a rollback). That also means each increment is an NV write, and a
// TPM's NV memory endures a limited number of them and may rate-limit
// them (TPM_RC_NV_RATE, reported as protector.ErrUnavailable): increment
// per session or checkpoint, not per write.
//
// What the counter does not stop: anyone with the owner hierarchy's auth
// (empty on most machines; root or the tss group can use it) can undefine
// the index. The store then gets protector.ErrKeyMissing, never an older
// value: an index defined again at the same handle does not take the
// blob's auth value (protector.ErrKeyCorrupt), and a new counter starts at
// the highest value any counter on this TPM has had (TPM 2.0 Part 1,
// 37.2.3.2), so not even its owner can wind one back.
var (
	_ protector.Counter        = tpmProtector{}
	_ protector.CounterRemover = tpmProtector{}
)

// Owner NV indices that no TCG specification assigns ("Registry of
// Reserved TPM 2.0 Handles and Localities", 2.2.2); systemd picks its
// indices from the same range.
const (
	counterIndexFirst = 0x01800000
	counterIndexLast  = 0x01BFFFFF
)

// CreateCounter implements protector.Counter. The new counter has been
// incremented once (a counter cannot be read before), so its first value
// is at least 1.
func (tpmProtector) CreateCounter(ctx context.Context, scope protector.Scope) ([]byte, error) {
	t, where, err := openTPM(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	c := &tpmCounter{auth: make([]byte, 32)}
	var random [16 + 4]byte
	for tries := 0; ; tries++ {
		if _, err := rand.Read(random[:]); err != nil {
			return nil, err
		}
		hex.Encode(c.auth, random[:16]) // no zero byte: see tpmAuthValue
		c.index = tpm2.TPMHandle(counterIndexFirst + binary.BigEndian.Uint32(random[16:])%(counterIndexLast-counterIndexFirst+1))
		_, err = tpm2.NVDefineSpace{
			AuthHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
			Auth:       tpm2.TPM2BAuth{Buffer: c.auth},
			PublicInfo: tpm2.New2B(tpm2.TPMSNVPublic{
				NVIndex: c.index,
				NameAlg: tpm2.TPMAlgSHA256,
				Attributes: tpm2.TPMANV{
					NT:        tpm2.TPMNTCounter,
					AuthWrite: true,
					AuthRead:  true,
					NoDA:      true,
				},
				DataSize: 8,
			}),
		}.Execute(t)
		if !errors.Is(err, tpm2.TPMRCNVDefined) || tries == 16 {
			break // defined, or a failure that another index would not avoid
		}
	}
	if err != nil {
		return nil, tpmErr(ctx, where, "define an NV counter", err, protector.ErrUnavailable)
	}
	// The name changes with the first write (TPMA_NV_WRITTEN is part of
	// it), so the blob records the name after it.
	name, err := nvName(ctx, t, where, c.index)
	if err == nil {
		c.name = name
		err = bumpCounter(ctx, t, where, c)
	}
	if err == nil {
		c.name, err = nvName(ctx, t, where, c.index)
	}
	if err != nil {
		tpm2.NVUndefineSpace{
			AuthHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
			NVIndex:    tpm2.NamedHandle{Handle: c.index, Name: tpm2.TPM2BName{Buffer: name}},
		}.Execute(t)
		return nil, err
	}
	return c.encode(), nil
}

// ReadCounter implements protector.Counter.
func (tpmProtector) ReadCounter(ctx context.Context, scope protector.Scope, blob []byte) (uint64, error) {
	c, t, where, err := openCounter(ctx, blob)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	return readCounter(ctx, t, where, c)
}

// IncrementCounter implements protector.Counter. It returns the value
// read right after its increment: another process's increment in between
// makes it larger, never smaller.
func (tpmProtector) IncrementCounter(ctx context.Context, scope protector.Scope, blob []byte) (uint64, error) {
	c, t, where, err := openCounter(ctx, blob)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	return incrementCounter(ctx, t, where, c)
}

// RemoveCounter implements protector.CounterRemover: it undefines the
// counter's NV index, and does nothing when the index is already gone.
// An index that is not the blob's counter any more is left alone.
func (tpmProtector) RemoveCounter(ctx context.Context, scope protector.Scope, blob []byte) error {
	c, t, where, err := openCounter(ctx, blob)
	if errors.Is(err, protector.ErrKeyMissing) {
		return nil
	}
	if err != nil {
		return err
	}
	defer t.Close()
	_, err = tpm2.NVUndefineSpace{
		AuthHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
		NVIndex:    tpm2.NamedHandle{Handle: c.index, Name: tpm2.TPM2BName{Buffer: c.name}},
	}.Execute(t)
	if err != nil {
		return tpmErr(ctx, where, "undefine the NV counter", err, protector.ErrUnavailable)
	}
	return nil
}

// openCounter parses blob, connects to the TPM and checks that the blob's
// NV index is still the counter it names: gone is protector.ErrKeyMissing,
// another index at that handle protector.ErrKeyCorrupt. The caller closes t.
func openCounter(ctx context.Context, blob []byte) (c *tpmCounter, t tpmConn, where string, err error) {
	if c, err = parseCounterBlob(blob); err != nil {
		return nil, nil, "", err
	}
	if t, where, err = openTPM(ctx); err != nil {
		return nil, nil, "", err
	}
	name, err := nvName(ctx, t, where, c.index)
	if err == nil && !bytes.Equal(name, c.name) {
		err = fmt.Errorf("tpm protector: NV index %#x is not the store's counter any more "+
			"(another index is defined there, or the blob was altered): %w", uint32(c.index), protector.ErrKeyCorrupt)
	}
	if err != nil {
		t.Close()
		return nil, nil, "", err
	}
	return c, t, where, nil
}

// nvName returns the name of NV index h; an index that is not defined is
// protector.ErrKeyMissing.
func nvName(ctx context.Context, t tpmConn, where string, h tpm2.TPMHandle) ([]byte, error) {
	rsp, err := tpm2.NVReadPublic{NVIndex: h}.Execute(t)
	if errors.Is(err, tpm2.TPMRCHandle) {
		return nil, fmt.Errorf("tpm protector: the store's NV counter %#x is gone "+
			"(undefined, or the TPM was cleared): %w", uint32(h), protector.ErrKeyMissing)
	}
	if err != nil {
		return nil, tpmErr(ctx, where, "read the NV counter's public area", err, protector.ErrKeyCorrupt)
	}
	return rsp.NVName.Buffer, nil
}

// authHandle authorizes a use of c with its auth value, in an HMAC
// session: the auth value itself never crosses the bus.
func (c *tpmCounter) authHandle() tpm2.AuthHandle {
	return tpm2.AuthHandle{
		Handle: c.index,
		Name:   tpm2.TPM2BName{Buffer: c.name},
		Auth:   tpm2.HMAC(tpm2.TPMAlgSHA256, 16, tpm2.Auth(c.auth)),
	}
}

func incrementCounter(ctx context.Context, t tpmConn, where string, c *tpmCounter) (uint64, error) {
	if err := bumpCounter(ctx, t, where, c); err != nil {
		return 0, err
	}
	return readCounter(ctx, t, where, c)
}

// bumpCounter has the TPM increment c.
func bumpCounter(ctx context.Context, t tpmConn, where string, c *tpmCounter) error {
	_, err := tpm2.NVIncrement{
		AuthHandle: c.authHandle(),
		NVIndex:    tpm2.NamedHandle{Handle: c.index, Name: tpm2.TPM2BName{Buffer: c.name}},
	}.Execute(t)
	if err != nil {
		return tpmErr(ctx, where, "increment the NV counter", err, protector.ErrKeyCorrupt)
	}
	return nil
}

func readCounter(ctx context.Context, t tpmConn, where string, c *tpmCounter) (uint64, error) {
	rsp, err := tpm2.NVRead{
		AuthHandle: c.authHandle(),
		NVIndex:    tpm2.NamedHandle{Handle: c.index, Name: tpm2.TPM2BName{Buffer: c.name}},
		Size:       8,
	}.Execute(t)
	if err != nil {
		return 0, tpmErr(ctx, where, "read the NV counter", err, protector.ErrKeyCorrupt)
	}
	if len(rsp.Data.Buffer) != 8 {
		return 0, fmt.Errorf("tpm protector: the NV counter gave %d bytes: %w", len(rsp.Data.Buffer), protector.ErrKeyCorrupt)
	}
	return binary.BigEndian.Uint64(rsp.Data.Buffer), nil
}
