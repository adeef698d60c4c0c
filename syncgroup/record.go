package syncgroup

import (
	"encoding/binary"
	"fmt"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/record"
)

// An item record, the value of an items/ key in etcd:
//
//	u8 version (1) ‖ u32 epoch ‖ u64 lamport ‖ u8 n ‖ device[n] ‖ sealed
//
// sealed is internal/record's XChaCha20-Poly1305 blob under the epoch's
// item key, whose associated data binds the domain, the group id, the
// item's etcd key name and the whole header: a record authenticates only
// as the version it says it is, of the item it is stored under, in its
// group. Its plaintext:
//
//	u8 deleted ‖ u8 class ‖ u16 len ‖ service ‖ u16 len ‖ key ‖ value
//
// The header is in clear because the receiver needs the epoch to pick the
// key; etcd thus sees each item's version and the id of the device that
// wrote it last (docs/SYNC.md).

const recordVersion = 1

type header struct {
	epoch   uint32
	lamport uint64
	device  string
}

func (h *header) encode() []byte {
	b := []byte{recordVersion}
	b = binary.BigEndian.AppendUint32(b, h.epoch)
	b = binary.BigEndian.AppendUint64(b, h.lamport)
	b = append(b, byte(len(h.device)))
	return append(b, h.device...)
}

func parseHeader(rec []byte) (header, []byte, error) {
	var h header
	if len(rec) < 14 || rec[0] != recordVersion {
		return h, nil, fmt.Errorf("%w: a malformed header", ErrBadRecord)
	}
	h.epoch = binary.BigEndian.Uint32(rec[1:])
	h.lamport = binary.BigEndian.Uint64(rec[5:])
	n := int(rec[13])
	if len(rec) < 14+n {
		return h, nil, fmt.Errorf("%w: a truncated header", ErrBadRecord)
	}
	h.device = string(rec[14 : 14+n])
	return h, rec[14+n:], nil
}

func itemAD(groupID, name string, hdr []byte) []byte {
	ad := fmt.Appendf(nil, "securestore sync item v1\x00%s\x00%s\x00", groupID, name)
	return append(ad, hdr...)
}

// sealRecord seals ch as the record of the item named name.
func sealRecord(b bundle, groupID string, epoch uint32, name string, ch *securestore.SyncChange) []byte {
	h := header{epoch: epoch, lamport: ch.Lamport, device: ch.Device}
	hdr := h.encode()
	pt := make([]byte, 0, 6+len(ch.Service)+len(ch.Key)+len(ch.Value))
	var del byte
	if ch.Deleted {
		del = 1
	}
	pt = append(pt, del, byte(ch.Class))
	pt = binary.BigEndian.AppendUint16(pt, uint16(len(ch.Service)))
	pt = append(pt, ch.Service...)
	pt = binary.BigEndian.AppendUint16(pt, uint16(len(ch.Key)))
	pt = append(pt, ch.Key...)
	pt = append(pt, ch.Value...)
	k := b.itemKey()
	a, _ := record.NewAEAD(k)
	clear(k)
	sealed := record.Seal(a, pt, itemAD(groupID, name, hdr))
	record.ZeroAEAD(a)
	clear(pt)
	return append(hdr, sealed...)
}

// openRecord opens the record stored under name, with keyFor giving the
// bundle of an epoch (nil when this device does not hold it).
func openRecord(keyFor func(uint32) bundle, groupID, name string, rec []byte) (*securestore.SyncChange, error) {
	h, sealed, err := parseHeader(rec)
	if err != nil {
		return nil, err
	}
	b := keyFor(h.epoch)
	if b == nil {
		return nil, fmt.Errorf("%w (epoch %d)", ErrUnknownEpoch, h.epoch)
	}
	k := b.itemKey()
	a, _ := record.NewAEAD(k)
	clear(k)
	pt, err := record.Open(a, sealed, itemAD(groupID, name, rec[:len(rec)-len(sealed)]))
	record.ZeroAEAD(a)
	if err != nil {
		return nil, fmt.Errorf("%w: the sealed item", ErrBadRecord)
	}
	ch, err := parsePayload(pt)
	clear(pt)
	if err != nil {
		return nil, err
	}
	if nameMAC(b.nameKey(), groupID, ch.Service, ch.Key) != name {
		clear(ch.Value)
		return nil, fmt.Errorf("%w: the record names another item", ErrBadRecord)
	}
	ch.Lamport, ch.Device = h.lamport, h.device
	return ch, nil
}

func parsePayload(pt []byte) (*securestore.SyncChange, error) {
	bad := fmt.Errorf("%w: a malformed item", ErrBadRecord)
	if len(pt) < 4 {
		return nil, bad
	}
	ch := &securestore.SyncChange{Deleted: pt[0] == 1, Class: securestore.Accessibility(pt[1])}
	rest := pt[2:]
	field := func() (string, bool) {
		if len(rest) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(rest))
		if len(rest) < 2+n {
			return "", false
		}
		s := string(rest[2 : 2+n])
		rest = rest[2+n:]
		return s, true
	}
	var ok1, ok2 bool
	ch.Service, ok1 = field()
	ch.Key, ok2 = field()
	if !ok1 || !ok2 || pt[0] > 1 {
		return nil, bad
	}
	if !ch.Deleted {
		ch.Value = append([]byte{}, rest...)
	}
	return ch, nil
}
