package keys

import (
	"crypto/sha256"
	"reflect"
)

// derive is HKDF-SHA256 (RFC 5869) with an empty salt, for one Size-byte
// output block: the same bytes as crypto/hkdf.Key(sha256.New, secret,
// nil, info, Size). It is written out so that it leaves no copy of the
// output, or of the pseudorandom key that gives it, in memory it does not
// wipe: crypto/hkdf keeps the output block in a buffer of its own that
// goes to the garbage collector unwiped. What remains are the words the
// SHA-256 finalisation leaves on the goroutine's stack (scrubStack
// overwrites the frames it used).
func derive(secret []byte, info string) []byte {
	var prk [sha256.Size]byte
	hmacSHA256(prk[:0], make([]byte, sha256.Size), secret) // extract, salt = HashLen zeros
	msg := make([]byte, 0, len(info)+1)
	msg = append(append(msg, info...), 1)
	out := hmacSHA256(make([]byte, 0, Size), prk[:], msg) // expand, T(1)
	clear(prk[:])
	scrubStack()
	return out
}

// hmacSHA256 appends HMAC-SHA256(key, msg) to dst (which must have room:
// no reallocation leaves a copy behind), wiping its pads and zeroing the
// hash states it used. key is at most a block long.
func hmacSHA256(dst, key, msg []byte) []byte {
	var pad [sha256.BlockSize]byte
	var inner [sha256.Size]byte
	copy(pad[:], key)
	for i := range pad {
		pad[i] ^= 0x36
	}
	h := sha256.New()
	h.Write(pad[:])
	h.Write(msg)
	h.Sum(inner[:0])
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	h.Reset()
	h.Write(pad[:])
	h.Write(inner[:])
	dst = h.Sum(dst)
	clear(pad[:])
	clear(inner[:])
	reflect.ValueOf(h).Elem().SetZero() // its buffer held pad and inner
	return dst
}

// scrubStack overwrites the stack below the caller's frame, where the
// SHA-256 finalisation just left its state.
//
//go:noinline
func scrubStack() {
	var b [4096]byte
	scrubSink(b[:])
}

//go:noinline
func scrubSink(b []byte) { clear(b) }
