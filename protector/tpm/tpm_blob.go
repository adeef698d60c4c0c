package tpm

import (
	"encoding/binary"
	"fmt"

	"github.com/google/go-tpm/tpm2"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/protector"
)

// Blob layout of the tpm protector (docs/FORMAT.md, "tpm protector blob"):
//
//	version 1 | parent u8 | TPM2B_PUBLIC | TPM2B_PRIVATE | sealed device key
//
// parent says which primary key (tpmParentECC or tpmParentRSA) the sealed
// object was created under. TPM2B_PUBLIC and TPM2B_PRIVATE are the sealed
// object as TPM2_Create returned it (each a big-endian u16 size and that
// many bytes); its sensitive part is a random 32-byte key-encryption key,
// encrypted by the TPM under the parent so that only this TPM can load it.
// sealed is record.Seal of the device key under that key, with
// ProtectorAD("tpm", store) as associated data.
const tpmBlobVersion = 1

// tpmParent names the primary key template a sealed object lives under.
type tpmParent byte

const (
	tpmParentECC tpmParent = 1 // ECC NIST P-256 SRK, the TCG's reference template: fast to create
	tpmParentRSA tpmParent = 2 // RSA-2048 SRK, for TPMs without P-256
)

type tpmBlob struct {
	parent  tpmParent
	public  []byte // TPM2B_PUBLIC, size prefix included
	private []byte // TPM2B_PRIVATE, size prefix included
	sealed  []byte
}

func (b *tpmBlob) encode() []byte {
	out := make([]byte, 0, 2+len(b.public)+len(b.private)+len(b.sealed))
	out = append(out, tpmBlobVersion, byte(b.parent))
	out = append(out, b.public...)
	out = append(out, b.private...)
	return append(out, b.sealed...)
}

// parseTPMBlob splits a blob, checking every length; it does not check
// that the TPM structures parse (Unwrap does, and the TPM does again).
func parseTPMBlob(blob []byte) (*tpmBlob, error) {
	if len(blob) == 0 {
		return nil, fmt.Errorf("tpm protector: the store has no sealed device key: %w", protector.ErrKeyMissing)
	}
	corrupt := fmt.Errorf("tpm protector: the sealed device key is malformed: %w", protector.ErrKeyCorrupt)
	b, rest, ok := cutObject(blob, tpmBlobVersion)
	if !ok {
		return nil, corrupt
	}
	if len(rest) < record.Overhead {
		return nil, corrupt
	}
	b.sealed = rest
	return b, nil
}

// cutObject splits the head that device key and passcode blobs share:
// version | parent u8 | TPM2B_PUBLIC | TPM2B_PRIVATE, and returns what
// follows.
func cutObject(blob []byte, version byte) (b *tpmBlob, rest []byte, ok bool) {
	if len(blob) < 2 || blob[0] != version {
		return nil, nil, false
	}
	b = &tpmBlob{parent: tpmParent(blob[1])}
	if b.parent != tpmParentECC && b.parent != tpmParentRSA {
		return nil, nil, false
	}
	rest = blob[2:]
	if b.public, rest, ok = cut2B(rest); !ok {
		return nil, nil, false
	}
	if b.private, rest, ok = cut2B(rest); !ok {
		return nil, nil, false
	}
	return b, rest, true
}

// cut2B splits a TPM2B (u16 size, then that many bytes, at least one)
// off the front of b.
func cut2B(b []byte) (tpm2b, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if n == 0 || len(b) < 2+n {
		return nil, nil, false
	}
	return b[:2+n], b[2+n:], true
}

// The passcode blob of the tpm protector (docs/FORMAT.md, "tpm passcode
// blob"), the blob BindPasscode returns:
//
//	'P' (0x50, version 1) | parent u8 | TPM2B_PUBLIC | TPM2B_PRIVATE
//
// The sealed object is a passcodeTemplate object whose sensitive data is
// the 32-byte secret and passcodeBinding's digest. Its first byte differs
// from a device key blob's, so one is never taken for the other.
const tpmPasscodeBlobVersion = 'P'

func (b *tpmBlob) encodePasscode() []byte {
	out := make([]byte, 0, 2+len(b.public)+len(b.private))
	out = append(out, tpmPasscodeBlobVersion, byte(b.parent))
	out = append(out, b.public...)
	return append(out, b.private...)
}

// parsePasscodeBlob splits a passcode blob, checking every length.
func parsePasscodeBlob(blob []byte) (*tpmBlob, error) {
	if len(blob) == 0 {
		return nil, fmt.Errorf("tpm protector: the store has no passcode blob: %w", protector.ErrKeyMissing)
	}
	corrupt := fmt.Errorf("tpm protector: the passcode blob is malformed: %w", protector.ErrKeyCorrupt)
	b, rest, ok := cutObject(blob, tpmPasscodeBlobVersion)
	if !ok || len(rest) != 0 {
		return nil, corrupt
	}
	return b, nil
}

// The counter blob of the tpm protector (docs/FORMAT.md, "tpm counter
// blob"), the blob CreateCounter returns:
//
//	'C' (0x43, version 1) | NV index u32 | TPM2B_NAME | auth value [32]
//
// The name is the index's name after its first increment; a reader checks
// it against the TPM's, so that another index at the same handle is never
// taken for the store's counter. The auth value (32 lowercase hex digits)
// authorizes reading and incrementing.
const tpmCounterBlobVersion = 'C'

type tpmCounter struct {
	index tpm2.TPMHandle
	name  []byte // TPM2B_NAME's contents
	auth  []byte
}

func (c *tpmCounter) encode() []byte {
	out := []byte{tpmCounterBlobVersion}
	out = binary.BigEndian.AppendUint32(out, uint32(c.index))
	out = binary.BigEndian.AppendUint16(out, uint16(len(c.name)))
	out = append(out, c.name...)
	return append(out, c.auth...)
}

// parseCounterBlob splits a counter blob, checking every length and that
// the index is in the range CreateCounter picks from.
func parseCounterBlob(blob []byte) (*tpmCounter, error) {
	if len(blob) == 0 {
		return nil, fmt.Errorf("tpm protector: the store has no counter blob: %w", protector.ErrKeyMissing)
	}
	corrupt := fmt.Errorf("tpm protector: the counter blob is malformed: %w", protector.ErrKeyCorrupt)
	if len(blob) < 5 || blob[0] != tpmCounterBlobVersion {
		return nil, corrupt
	}
	c := &tpmCounter{index: tpm2.TPMHandle(binary.BigEndian.Uint32(blob[1:]))}
	if c.index < counterIndexFirst || c.index > counterIndexLast {
		return nil, corrupt
	}
	name, rest, ok := cut2B(blob[5:])
	if !ok || len(rest) != 32 {
		return nil, corrupt
	}
	c.name, c.auth = name[2:], rest
	return c, nil
}
