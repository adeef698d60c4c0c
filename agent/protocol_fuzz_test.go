package agent

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds the decoders arbitrary bodies: they must never panic,
// and whatever they accept must encode back to the same bytes (one
// encoding per message).
func FuzzDecode(f *testing.F) {
	f.Add(EncodeRequest(&Request{Op: OpOpen, Store: testRef, Class: 1, Service: "s", Key: "k", Data: []byte{1, 2}}))
	f.Add(EncodeReply(&Reply{Stores: []StoreStatus{{Store: testRef, Classes: []uint8{1}}}, Log: []LogEntry{{Exe: "x"}}}))
	f.Add(EncodeReply(&Reply{Synced: []SyncStatus{{Store: "app:a", Running: true, PID: 7, LastExit: "exit status 1"}}}))
	f.Add([]byte{Version, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if q, err := DecodeRequest(b); err == nil {
			if again := EncodeRequest(q); !bytes.Equal(again, b) {
				t.Fatalf("request re-encodes differently")
			}
		}
		if r, err := DecodeReply(b); err == nil {
			if again := EncodeReply(r); !bytes.Equal(again, b) {
				t.Fatalf("reply re-encodes differently")
			}
		}
	})
}
