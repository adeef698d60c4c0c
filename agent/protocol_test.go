package agent

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestProtocolRoundTrip(t *testing.T) {
	q := &Request{Op: OpOpen, Store: testRef, Class: 3, Generation: 9, Service: "svc", Key: "k", Presence: true, PresencePrompt: "Show the token", PresenceWindow: 7, Data: []byte("sealed")}
	got, err := DecodeRequest(EncodeRequest(q))
	if err != nil || !reflect.DeepEqual(got, q) {
		t.Fatalf("request round trip: %+v, %v", got, err)
	}
	r := &Reply{Code: CodeLocked, Message: "m", Generation: 3, Data: []byte("v"),
		Stores: []StoreStatus{{Store: testRef, Locked: true, Classes: []uint8{1, 2}, UnlockedAt: 5, IdleLockAt: 6, MaxLockAt: 7, Generation: 8}},
		Log:    []LogEntry{{Time: 1, PID: 2, UID: 3, Exe: "/bin/x", Op: OpSeal, Store: "app:a", Dir: "/d", Service: "s", Key: "k", Result: "ok"}},
		Synced: []SyncStatus{{Store: "app:a", Running: true, PID: 42, Restarts: 3, LastExit: "exit status 1"}, {Store: "group:g"}}}
	gotR, err := DecodeReply(EncodeReply(r))
	if err != nil || !reflect.DeepEqual(gotR, r) {
		t.Fatalf("reply round trip: %+v, %v", gotR, err)
	}
}

func TestProtocolStrict(t *testing.T) {
	good := EncodeRequest(&Request{Op: OpStatus})
	for name, b := range map[string][]byte{
		"empty":          nil,
		"wrong version":  append([]byte{Version + 1}, good[1:]...),
		"unknown op":     append([]byte{Version, 99}, good[2:]...),
		"trailing byte":  append(bytes.Clone(good), 0),
		"truncated":      good[:len(good)-1],
		"bad bool":       append(bytes.Clone(good[:len(good)-5]), 2, 0, 0, 0, 0),
		"huge data size": append(bytes.Clone(good[:len(good)-4]), 0xff, 0xff, 0xff, 0xff),
	} {
		if _, err := DecodeRequest(b); !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: err = %v, want ErrProtocol", name, err)
		}
	}
	// The synced list is left out when empty (replies of agents that
	// predate it decode), so an empty one present is a second encoding.
	plain := EncodeReply(&Reply{})
	if r, err := DecodeReply(plain); err != nil || r.Synced != nil {
		t.Errorf("a reply without the synced list: %+v, %v", r, err)
	}
	for name, b := range map[string][]byte{
		"empty synced list":     append(bytes.Clone(plain), 0, 0, 0, 0),
		"synced count too big":  append(bytes.Clone(plain), 0, 0, 0, 9, 0),
		"truncated sync status": EncodeReply(&Reply{Synced: []SyncStatus{{Store: "app:a"}}})[:len(plain)+10],
	} {
		if _, err := DecodeReply(b); !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: err = %v, want ErrProtocol", name, err)
		}
	}
	// A frame over the cap is refused before it is read.
	hdr := []byte{0xff, 0xff, 0xff, 0xff}
	if _, err := readFrame(bytes.NewReader(hdr)); !errors.Is(err, ErrProtocol) {
		t.Errorf("oversized frame: %v", err)
	}
}
