package keychain

import (
	"bytes"
	"testing"
)

// The fuzz target of what the keychain protector reads back: the blob it keeps in the store's database, bytes that anyone
// who can write the user's files may change.

// FuzzSplitKeychainBlob checks the keychain protector's blob: any bytes
// either fail to split or name a 16-byte item id that appendKeychainBlob
// turns back into exactly the input; every 16-byte id splits back out.
func FuzzSplitKeychainBlob(f *testing.F) {
	id := []byte("0123456789abcdef")
	f.Add(appendKeychainBlob(id), id)
	f.Add([]byte("SSKC\x02"+string(id)), []byte{})
	f.Add([]byte("SSKC\x01"), []byte("short"))

	f.Fuzz(func(t *testing.T, blob, id []byte) {
		got, ok := splitKeychainBlob(blob)
		if ok && (len(got) != keychainIDSize || !bytes.Equal(appendKeychainBlob(got), blob)) {
			t.Fatalf("splitKeychainBlob(%x) = %x, which is not the blob's id", blob, got)
		}
		if !ok && got != nil {
			t.Fatal("splitKeychainBlob failed but returned an id")
		}
		if len(id) != keychainIDSize {
			return
		}
		if got, ok := splitKeychainBlob(appendKeychainBlob(id)); !ok || !bytes.Equal(got, id) {
			t.Fatalf("split(append(%x)) = %x, %v", id, got, ok)
		}
	})
}
