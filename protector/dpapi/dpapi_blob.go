package dpapi

import "encoding/binary"

// The DPAPI protector's blob (dpapi_windows.go), laid out and split here
// without build tags, so that its parsing is tested, and fuzzed, on every
// platform:
//
//	"SSDP" | version 1 | uint32 big-endian n | n bytes of DPAPI output
//	(the protected KEK) | the device key sealed under the KEK.
const (
	dpapiMagic   = "SSDP"
	dpapiVersion = 1
	dpapiHeader  = len(dpapiMagic) + 1 + 4
	dpapiKEKSize = 32
)

// appendDPAPIBlob lays out a blob from the DPAPI output and the sealed
// device key.
func appendDPAPIBlob(protected, sealed []byte) []byte {
	blob := make([]byte, dpapiHeader, dpapiHeader+len(protected)+len(sealed))
	copy(blob, dpapiMagic)
	blob[len(dpapiMagic)] = dpapiVersion
	binary.BigEndian.PutUint32(blob[len(dpapiMagic)+1:], uint32(len(protected)))
	blob = append(blob, protected...)
	return append(blob, sealed...)
}

// splitDPAPIBlob is the inverse of appendDPAPIBlob: the DPAPI output and
// what follows it, both slices of blob. why says what is wrong when blob
// is not one, for "the wrapped device key of STORE <why>".
func splitDPAPIBlob(blob []byte) (protected, sealed []byte, why string) {
	if len(blob) < dpapiHeader || string(blob[:len(dpapiMagic)]) != dpapiMagic || blob[len(dpapiMagic)] != dpapiVersion {
		return nil, nil, "is not a DPAPI blob of this version"
	}
	n := binary.BigEndian.Uint32(blob[len(dpapiMagic)+1:])
	if n == 0 || uint64(n) > uint64(len(blob)-dpapiHeader) {
		return nil, nil, "is truncated"
	}
	return blob[dpapiHeader : dpapiHeader+int(n)], blob[dpapiHeader+int(n):], ""
}
