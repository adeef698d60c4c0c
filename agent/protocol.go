package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// The wire protocol. Each round trip is one request and one reply, each a
// frame: a 4-byte big-endian length, then that many bytes of body. A body
// starts with the protocol version, then the message's fields in a fixed
// order: integers big-endian, byte strings and strings as a 4-byte length
// and their bytes, lists as a 4-byte count and their elements. Every field
// is always present (an unused one is empty), so that there is exactly one
// encoding of each message and the decoder is short and strict: a frame
// longer than MaxFrame, a wrong version, an unknown operation or code, a
// string that is not UTF-8, a count larger than the bytes left, or any
// byte left over is an ErrProtocol, and the connection is closed.

// Version is the protocol version; a peer speaking another one is refused.
const Version = 1

// MaxFrame caps a frame's body: the largest sealed value securestore can
// store (16 MiB, securestore.MaxValueBytesLimit) plus room for names.
const MaxFrame = 16<<20 + 64<<10

// ErrProtocol reports a malformed frame; the connection is closed.
var ErrProtocol = errors.New("agent: malformed message")

// Op is a request's operation.
type Op uint8

const (
	OpUnlock    Op = iota + 1 // Data is the passcode
	OpLock                    // Store empty: every store
	OpStatus                  // Store empty: every store
	OpOpen                    // Data is the sealed value
	OpSeal                    // Data is the value
	OpLog                     // the access log
	OpStop                    // the agent wipes every key and exits
	OpCanPrompt               // can the agent prove presence now? (presence.go)
)

func (o Op) String() string {
	switch o {
	case OpUnlock:
		return "unlock"
	case OpLock:
		return "lock"
	case OpStatus:
		return "status"
	case OpOpen:
		return "open"
	case OpSeal:
		return "seal"
	case OpLog:
		return "log"
	case OpStop:
		return "stop"
	case OpCanPrompt:
		return "can-prompt"
	case 0:
		return "connect"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// StoreRef names one store the way the securestore package opens it: its
// directory, kind ("app" or "group"), name and protector ("" for the one
// it was created with).
type StoreRef struct {
	Dir       string
	Kind      string
	Name      string
	Protector string
}

// ID is the store's identity as its records bind it: "app:NAME".
func (r StoreRef) ID() string { return r.Kind + ":" + r.Name }

// IsZero reports an empty reference (Lock and Status: every store).
func (r StoreRef) IsZero() bool { return r == StoreRef{} }

// Request is one request. Which fields an operation reads is said at its
// Op; the others are empty.
type Request struct {
	Op    Op
	Store StoreRef
	// Class is the item's accessibility class (securestore.Accessibility).
	Class uint8
	// Generation is the store's key generation the client read, 0 when it
	// did not read one. Open and Seal fail with CodeLocked, and the agent
	// drops the store's keys, when it differs from the keys' generation:
	// a passcode change made them stale.
	Generation uint64
	// Service and Key name the item of Open and Seal: the agent binds
	// them into the associated data itself, so the access log says which
	// item was really opened.
	Service, Key string
	// Presence asks for a fresh proof of the user's presence before Open
	// answers (requireAuthentication). Agents without a Prompter refuse.
	Presence bool
	// PresencePrompt is the text the prompt shows (the item's
	// AuthenticationPrompt); PresenceWindow, in nanoseconds, how long an
	// earlier proof may be reused (0: ask now). See presence.go.
	PresencePrompt string
	PresenceWindow uint64
	// Data is the passcode, the sealed value or the value. The server
	// wipes it once used.
	Data []byte
}

// Code is a reply's outcome.
type Code uint8

const (
	CodeOK Code = iota
	CodeLocked
	CodeWrongPasscode
	CodeNotAuthentic // Open: the sealed value does not open with the agent's key
	CodeInvalid      // a request the agent does not accept
	CodeFailed       // anything else; Message says what
	codeEnd
)

// Reply is one reply.
type Reply struct {
	Code       Code
	Message    string // for errors: what went wrong, never a secret
	Generation uint64 // Open, Seal, Unlock: the generation of the keys used
	Data       []byte // Open: the value; Seal: the sealed value
	Stores     []StoreStatus
	Log        []LogEntry
	// Synced is Status's list of the stores the agent keeps in sync
	// (agent --sync). It is last and left out when empty, so replies of
	// agents that predate it still decode.
	Synced []SyncStatus
}

// SyncStatus is a store the agent keeps in sync: the state of the
// securestore-sync child it runs for it.
type SyncStatus struct {
	Store    string // "app:NAME" or "group:NAME"
	Running  bool
	PID      int32 // of the running child; 0 when none runs
	Restarts uint32
	LastExit string // how the last run ended; "" before one did
}

// StoreStatus is what the agent holds of one store.
type StoreStatus struct {
	Store      StoreRef
	Locked     bool    // the WhenUnlocked classes are not held
	Classes    []uint8 // the classes whose keys the agent holds
	UnlockedAt int64   // Unix nanoseconds of the last Unlock
	IdleLockAt int64   // Unix nanoseconds; 0: no idle lock
	MaxLockAt  int64   // Unix nanoseconds; 0: no maximum
	Generation uint64
}

// LogEntry is one line of the access log. It never holds a value.
type LogEntry struct {
	Time    int64 // Unix nanoseconds
	PID     int32
	UID     uint32
	Exe     string // the peer's executable, from /proc/PID/exe; "" if unknown
	Op      Op
	Store   string // the store's identity, "app:NAME"
	Dir     string
	Service string
	Key     string
	Result  string // "ok" or the error code's name
}

// encoder appends fields.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)     { e.b = append(e.b, v) }
func (e *encoder) u32(v uint32)   { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64)   { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) bytes(v []byte) { e.u32(uint32(len(v))); e.b = append(e.b, v...) }
func (e *encoder) str(v string)   { e.u32(uint32(len(v))); e.b = append(e.b, v...) }
func (e *encoder) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}
func (e *encoder) ref(r StoreRef) { e.str(r.Dir); e.str(r.Kind); e.str(r.Name); e.str(r.Protector) }

// decoder reads fields; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrProtocol, what)
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("short " + what)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8(what string) uint8 {
	if v := d.take(1, what); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u32(what string) uint32 {
	if v := d.take(4, what); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) u64(what string) uint64 {
	if v := d.take(8, what); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) bool(what string) bool {
	switch d.u8(what) {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail(what + " is not a boolean")
	return false
}

// bytes returns a copy: the frame buffer is wiped once decoded.
func (d *decoder) bytes(what string) []byte {
	n := d.u32(what)
	v := d.take(int(n), what)
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

func (d *decoder) str(what string) string {
	n := d.u32(what)
	v := d.take(int(n), what)
	if !utf8.Valid(v) {
		d.fail(what + " is not UTF-8")
		return ""
	}
	return string(v)
}

// count reads a list length, each element taking at least min bytes.
func (d *decoder) count(what string, min int) int {
	n := d.u32(what)
	if d.err == nil && uint64(n)*uint64(min) > uint64(len(d.b)) {
		d.fail(what + " count exceeds the message")
		return 0
	}
	return int(n)
}

func (d *decoder) ref() StoreRef {
	return StoreRef{Dir: d.str("dir"), Kind: d.str("kind"), Name: d.str("name"), Protector: d.str("protector")}
}

func (d *decoder) header() {
	if v := d.u8("version"); d.err == nil && v != Version {
		d.fail(fmt.Sprintf("protocol version %d, want %d", v, Version))
	}
}

func (d *decoder) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Sprintf("%d bytes after the message", len(d.b)))
	}
	return d.err
}

// EncodeRequest returns q's body (without the frame length).
func EncodeRequest(q *Request) []byte {
	e := &encoder{b: make([]byte, 0, 64+len(q.Store.Dir)+len(q.Service)+len(q.Key)+len(q.Data))}
	e.u8(Version)
	e.u8(uint8(q.Op))
	e.ref(q.Store)
	e.u8(q.Class)
	e.u64(q.Generation)
	e.str(q.Service)
	e.str(q.Key)
	e.str(q.PresencePrompt)
	e.u64(q.PresenceWindow)
	e.bool(q.Presence)
	e.bytes(q.Data)
	return e.b
}

// DecodeRequest parses a request body strictly.
func DecodeRequest(b []byte) (*Request, error) {
	d := &decoder{b: b}
	d.header()
	q := &Request{Op: Op(d.u8("op"))}
	q.Store = d.ref()
	q.Class = d.u8("class")
	q.Generation = d.u64("generation")
	q.Service = d.str("service")
	q.Key = d.str("key")
	q.PresencePrompt = d.str("presence prompt")
	q.PresenceWindow = d.u64("presence window")
	q.Presence = d.bool("presence")
	q.Data = d.bytes("data")
	if d.err == nil && (q.Op < OpUnlock || q.Op > OpCanPrompt) {
		d.fail(fmt.Sprintf("unknown operation %d", uint8(q.Op)))
	}
	if err := d.end(); err != nil {
		clear(q.Data)
		return nil, err
	}
	return q, nil
}

// EncodeReply returns r's body (without the frame length).
func EncodeReply(r *Reply) []byte {
	e := &encoder{b: make([]byte, 0, 64+len(r.Message)+len(r.Data))}
	e.u8(Version)
	e.u8(uint8(r.Code))
	e.str(r.Message)
	e.u64(r.Generation)
	e.bytes(r.Data)
	e.u32(uint32(len(r.Stores)))
	for _, s := range r.Stores {
		e.ref(s.Store)
		e.bool(s.Locked)
		e.bytes(s.Classes)
		e.u64(uint64(s.UnlockedAt))
		e.u64(uint64(s.IdleLockAt))
		e.u64(uint64(s.MaxLockAt))
		e.u64(s.Generation)
	}
	e.u32(uint32(len(r.Log)))
	for _, l := range r.Log {
		e.u64(uint64(l.Time))
		e.u32(uint32(l.PID))
		e.u32(l.UID)
		e.str(l.Exe)
		e.u8(uint8(l.Op))
		e.str(l.Store)
		e.str(l.Dir)
		e.str(l.Service)
		e.str(l.Key)
		e.str(l.Result)
	}
	if len(r.Synced) > 0 {
		e.u32(uint32(len(r.Synced)))
		for _, y := range r.Synced {
			e.str(y.Store)
			e.bool(y.Running)
			e.u32(uint32(y.PID))
			e.u32(y.Restarts)
			e.str(y.LastExit)
		}
	}
	return e.b
}

// DecodeReply parses a reply body strictly.
func DecodeReply(b []byte) (*Reply, error) {
	d := &decoder{b: b}
	d.header()
	r := &Reply{Code: Code(d.u8("code"))}
	if d.err == nil && r.Code >= codeEnd {
		d.fail(fmt.Sprintf("unknown reply code %d", uint8(r.Code)))
	}
	r.Message = d.str("message")
	r.Generation = d.u64("generation")
	r.Data = d.bytes("data")
	// A store status takes at least 4*4+1+4+4*8 bytes, a log entry 8+4+4+4+1+5*4.
	for n := d.count("stores", 53); n > 0 && d.err == nil; n-- {
		s := StoreStatus{Store: d.ref(), Locked: d.bool("locked"), Classes: d.bytes("classes")}
		s.UnlockedAt = int64(d.u64("unlocked at"))
		s.IdleLockAt = int64(d.u64("idle lock at"))
		s.MaxLockAt = int64(d.u64("max lock at"))
		s.Generation = d.u64("generation")
		r.Stores = append(r.Stores, s)
	}
	for n := d.count("log", 41); n > 0 && d.err == nil; n-- {
		l := LogEntry{Time: int64(d.u64("time")), PID: int32(d.u32("pid")), UID: d.u32("uid"), Exe: d.str("exe")}
		l.Op = Op(d.u8("op"))
		l.Store, l.Dir, l.Service, l.Key, l.Result = d.str("store"), d.str("dir"), d.str("service"), d.str("key"), d.str("result")
		r.Log = append(r.Log, l)
	}
	if d.err == nil && len(d.b) > 0 {
		// A sync entry takes at least 4+1+4+4+4 bytes. The section is
		// absent rather than empty: one encoding per reply.
		n := d.count("synced", 17)
		if d.err == nil && n == 0 {
			d.fail("an empty synced list")
		}
		for ; n > 0 && d.err == nil; n-- {
			y := SyncStatus{Store: d.str("sync store"), Running: d.bool("running"), PID: int32(d.u32("pid"))}
			y.Restarts, y.LastExit = d.u32("restarts"), d.str("last exit")
			r.Synced = append(r.Synced, y)
		}
	}
	if err := d.end(); err != nil {
		clear(r.Data)
		return nil, err
	}
	return r, nil
}

// writeFrame writes body as one frame, in one write.
func writeFrame(w io.Writer, body []byte) error {
	if len(body) > MaxFrame {
		return fmt.Errorf("%w: a %d-byte message is over the %d-byte limit", ErrProtocol, len(body), MaxFrame)
	}
	f := make([]byte, 4, 4+len(body))
	binary.BigEndian.PutUint32(f, uint32(len(body)))
	f = append(f, body...)
	_, err := w.Write(f)
	clear(f)
	return err
}

// readFrame reads one frame's body; the caller wipes it after decoding.
func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > MaxFrame {
		return nil, fmt.Errorf("%w: a %d-byte message is over the %d-byte limit", ErrProtocol, size, MaxFrame)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		clear(body)
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body, nil
}
