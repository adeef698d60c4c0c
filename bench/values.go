package bench

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

// Service is the service (pass: folder; Secret Service: "service"
// attribute) under which every store keeps the harness's items.
const Service = "storebench"

// ValueSize is the size of every value: 2 KB, securestore's default limit
// and the workload.
const ValueSize = 2048

// FillKey is the key of the i-th pre-filled item.
func FillKey(i int) string { return fmt.Sprintf("key-%07d", i) }

// NewKey is the key of the item created and deleted again in round i of
// a Set/Get/Delete comparison, so the store keeps its size.
func NewKey(i int) string { return fmt.Sprintf("new-%07d", i) }

// valueAlphabet has no whitespace: `pass insert -e` reads the value with
// the shell's read, which would strip leading and trailing blanks.
const valueAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// Value is the ValueSize-byte value stored under key: it starts with the
// key and is otherwise pseudo-random but fixed, so any reader can check a
// value it gets without being told what was written.
func Value(key string) string { return filledValue(key+":", key, 0x5ec) }

// filledValue is prefix followed by filler drawn from a generator seeded
// by (seedKey, seed), up to ValueSize bytes.
func filledValue(prefix, seedKey string, seed uint64) string {
	h := fnv.New64a()
	h.Write([]byte(seedKey))
	r := rand.NewPCG(h.Sum64(), seed)
	b := make([]byte, ValueSize)
	n := copy(b, prefix)
	// Ten 6-bit characters per 64 random bits.
	for i := n; i < len(b); {
		x := r.Uint64()
		for j := 0; j < 10 && i < len(b); j++ {
			b[i] = valueAlphabet[x&63]
			x >>= 6
			i++
		}
	}
	return string(b)
}

// checkValue fails unless got is the value stored under key.
func checkValue(store, key, got string) error {
	if got == Value(key) {
		return nil
	}
	return fmt.Errorf("%s: Get %q returned %d bytes that are not the value set (starts %.20q)", store, key, len(got), got)
}
