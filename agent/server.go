package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/securestore-go/securestore/internal/record"
)

// Per-connection deadlines: a client that stops mid-frame, or stops
// reading its reply, loses its connection instead of holding the agent.
const (
	connIdleTimeout = 5 * time.Minute  // between requests
	frameTimeout    = 10 * time.Second // to finish a frame once begun, and to send a reply
	unlockTimeout   = 20 * time.Minute // an Unlock may wait out the wrong-passcode delay (15 minutes at most)
)

// Options configure a Server. Only Unlocker is required.
type Options struct {
	Unlocker Unlocker
	// LockAfter locks a store's WhenUnlocked classes once no Open or Seal
	// used them for this long (0: never).
	LockAfter time.Duration
	// MaxUnlocked locks them this long after Unlock, used or not (0: never).
	MaxUnlocked time.Duration
	// Prompter, if set, asks for a passcode when an Unlock request carries
	// none, and proves presence (hook for a pinentry client).
	Prompter Prompter
	// LockEvents, if set, locks every store at each event (hook for a
	// session watcher: screen locked, before sleep).
	LockEvents <-chan LockEvent
	// Clock is the agent's time; nil means the real one.
	Clock Clock
	// Synced, if set, is the state of the stores the agent keeps in sync
	// (agent --sync), for Status of every store.
	Synced func() []SyncStatus
	// Logf, if set, reports refused peers and broken connections (never
	// a value). The access log records them too.
	Logf func(format string, args ...any)
}

// Server is a running agent: the keys it holds and the connections it
// serves. It is safe for concurrent use.
type Server struct {
	opts  Options
	clock Clock
	keys  keyring
	log   accessLog
	uid   uint32

	wake chan struct{} // the auto-lock timer recomputes its next deadline
	done chan struct{}
	// life ends with Close: every prompt and Unlocker call runs under
	// it, so that Close does not wait out a prompt with the keys held.
	life context.Context
	end  context.CancelFunc

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[net.Conn]struct{}
	closed    bool
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// NewServer returns a server with no store unlocked. It starts the
// auto-lock and lock-event goroutine; Close stops it.
func NewServer(opts Options) *Server {
	s := &Server{opts: opts, clock: opts.Clock, uid: uint32(os.Getuid()),
		wake: make(chan struct{}, 1), done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	if s.clock == nil {
		s.clock = realClock{}
	}
	s.life, s.end = context.WithCancel(context.Background())
	s.keys = keyring{stores: map[string]*storeKeys{}, lockAfter: opts.LockAfter, maxUnlocked: opts.MaxUnlocked}
	s.wg.Add(1)
	go s.autoLock()
	return s
}

// Serve accepts connections on l until Close (returning nil) or until l
// fails. Each peer is checked by the kernel's credentials: a peer of
// another uid is refused, and logged.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("agent: server closed")
	}
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	for {
		c, err := l.Accept()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("agent: accept: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// Close stops the server: listeners and connections close, every key is
// wiped. It waits for the connections' goroutines.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		s.end()
		for _, l := range s.listeners {
			l.Close()
		}
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.keys.freeAll()
	})
	return nil
}

// unlockFailed is the reply to an Unlocker's error.
func unlockFailed(err error) *Reply {
	switch {
	case errors.Is(err, ErrWrongPasscode):
		// The Unlocker's words (the delay it imposes), without our own prefix.
		return &Reply{Code: CodeWrongPasscode, Message: strings.TrimPrefix(err.Error(), ErrWrongPasscode.Error()+": ")}
	case errors.Is(err, ErrLocked):
		return &Reply{Code: CodeLocked, Message: err.Error()}
	}
	return &Reply{Code: CodeFailed, Message: err.Error()}
}

// Lock drops the WhenUnlocked keys of every store, as a Lock request does.
func (s *Server) Lock() { s.keys.lock(StoreRef{}) }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// autoLock wipes keys when their auto-lock time comes and locks on lock
// events. Requests also check the times themselves (expire), so a clock
// that moved is honoured at the next request even before this wakes.
func (s *Server) autoLock() {
	defer s.wg.Done()
	for {
		var timer <-chan time.Time
		if _, next := s.keys.due(s.clock.Now()); !next.IsZero() {
			timer = s.clock.After(next.Sub(s.clock.Now()))
		}
		select {
		case <-s.done:
			return
		case <-s.wake:
		case <-timer:
			s.keys.expire(s.clock.Now())
		case ev, ok := <-s.opts.LockEvents:
			if !ok {
				s.opts.LockEvents = nil // a nil channel blocks: no more events
				continue
			}
			s.keys.lock(StoreRef{})
			s.log.add(LogEntry{Time: s.clock.Now().UnixNano(), Op: OpLock, Result: "ok: " + ev.Reason})
			s.logf("agent: locked: %s", ev.Reason)
		}
	}
}

func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Peer is who is at the other end of a connection, as the kernel says.
type Peer struct {
	UID uint32
	PID int32 // 0 where the system does not report it
}

func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	peer, err := peerCred(c)
	exe := ""
	if err == nil {
		exe = peerExe(peer.PID)
	}
	if err != nil || peer.UID != s.uid {
		why := fmt.Sprintf("refused: uid %d", peer.UID)
		if err != nil {
			why = "refused: " + err.Error()
		}
		s.log.add(LogEntry{Time: s.clock.Now().UnixNano(), PID: peer.PID, UID: peer.UID, Exe: exe, Result: why})
		s.logf("agent: %s (pid %d, %s)", why, peer.PID, exe)
		return
	}
	for {
		c.SetReadDeadline(time.Now().Add(connIdleTimeout))
		body, err := readFrame(&deadlineReader{c: c})
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.logf("agent: connection of pid %d: %v", peer.PID, err)
			}
			return
		}
		q, err := DecodeRequest(body)
		clear(body)
		if err != nil {
			s.logf("agent: connection of pid %d: %v", peer.PID, err)
			return
		}
		if !s.handle(c, q, peer, exe) {
			return
		}
	}
}

// deadlineReader gives the rest of a frame frameTimeout once its first
// byte arrived, so that an idle connection may wait long but a started
// frame may not.
type deadlineReader struct {
	c       net.Conn
	started bool
}

func (r *deadlineReader) Read(p []byte) (int, error) {
	n, err := r.c.Read(p)
	if n > 0 && !r.started {
		r.started = true
		r.c.SetReadDeadline(time.Now().Add(frameTimeout))
	}
	return n, err
}

// handle answers one request; false closes the connection.
func (s *Server) handle(c net.Conn, q *Request, peer Peer, exe string) bool {
	defer clear(q.Data)
	now := s.clock.Now()
	s.keys.expire(now)
	entry := LogEntry{Time: now.UnixNano(), PID: peer.PID, UID: peer.UID, Exe: exe, Op: q.Op,
		Store: q.Store.ID(), Dir: q.Store.Dir, Service: q.Service, Key: q.Key}
	if q.Store.IsZero() {
		entry.Store = ""
	}
	var r *Reply
	switch q.Op {
	case OpOpen, OpSeal:
		if q.Presence { // requireAuthentication: presence.go
			r, ok := s.servePresence(q, func(r *Reply) bool { return s.send(c, r) })
			clear(r.Data)
			entry.Result = resultName(r)
			s.log.add(entry)
			return ok
		}
		// The reply goes out under the keyring's read lock: see keyring.
		s.keys.mu.RLock()
		r = s.useKey(q, now)
		ok := s.send(c, r)
		s.keys.mu.RUnlock()
		clear(r.Data)
		entry.Result = resultName(r)
		s.log.add(entry)
		return ok
	case OpUnlock:
		r = s.unlock(q)
		if r.Code == CodeOK {
			s.poke()
		}
	case OpLock:
		s.keys.lock(q.Store)
		r = &Reply{}
		s.poke()
	case OpStatus:
		r = &Reply{Stores: s.keys.status(q.Store)}
		if q.Store.IsZero() && s.opts.Synced != nil {
			r.Synced = s.opts.Synced()
		}
	case OpCanPrompt:
		r = s.canPrompt()
	case OpLog:
		r = &Reply{Log: s.log.all()}
	case OpStop:
		entry.Result = "ok"
		s.log.add(entry)
		s.send(c, &Reply{})
		go s.Close() // Close waits for this connection's goroutine
		return false
	}
	if q.Op != OpStatus && q.Op != OpLog && q.Op != OpCanPrompt {
		entry.Result = resultName(r)
		s.log.add(entry)
	}
	return s.send(c, r)
}

func (s *Server) send(c net.Conn, r *Reply) bool {
	body := EncodeReply(r)
	defer clear(body)
	c.SetWriteDeadline(time.Now().Add(frameTimeout))
	return writeFrame(c, body) == nil
}

func resultName(r *Reply) string {
	switch r.Code {
	case CodeOK:
		return "ok"
	case CodeLocked:
		return "locked"
	case CodeWrongPasscode:
		return "wrong passcode"
	case CodeNotAuthentic:
		return "not authentic"
	case CodeInvalid:
		return "refused"
	}
	return "failed"
}

// validRef checks a request's store: an absolute directory and a kind.
func validRef(r StoreRef) error {
	if r.Dir == "" || r.Dir[0] != '/' {
		return errors.New("the store's directory must be an absolute path")
	}
	if r.Kind != "app" && r.Kind != "group" {
		return fmt.Errorf("unknown store kind %q", r.Kind)
	}
	if r.Name == "" {
		return errors.New("the store has no name")
	}
	return nil
}

// useKey runs Open or Seal with the store's key of q's class. The caller
// holds s.keys.mu shared.
func (s *Server) useKey(q *Request, now time.Time) *Reply {
	if err := validRef(q.Store); err != nil {
		return &Reply{Code: CodeInvalid, Message: err.Error()}
	}
	sk := s.keys.stores[storeName(q.Store)]
	if sk == nil {
		return &Reply{Code: CodeLocked}
	}
	if q.Generation != 0 && q.Generation != sk.generation {
		// A passcode change gave the store new keys: these are stale.
		// Dropping them needs the write lock; a goroutine takes it once
		// this request is done with the read lock.
		go s.keys.forgetGeneration(q.Store, sk.generation)
		return &Reply{Code: CodeLocked, Message: "the store's keys changed; unlock again", Generation: sk.generation}
	}
	key := sk.keys[q.Class]
	if key == nil {
		return &Reply{Code: CodeLocked, Generation: sk.generation}
	}
	aead, err := record.NewAEAD(key.Bytes())
	if err != nil {
		return &Reply{Code: CodeFailed, Message: "a class key of the wrong size"}
	}
	defer record.ZeroAEAD(aead)
	sk.lastUse.Store(now.UnixNano())
	ad := record.ItemAD(q.Store.ID(), q.Service, q.Key, q.Class)
	if q.Op == OpSeal {
		return &Reply{Generation: sk.generation, Data: record.Seal(aead, q.Data, ad)}
	}
	pt, err := record.Open(aead, q.Data, ad)
	if err != nil {
		return &Reply{Code: CodeNotAuthentic, Generation: sk.generation}
	}
	return &Reply{Generation: sk.generation, Data: pt}
}

// unlock runs the Unlocker and installs the keys it gives.
func (s *Server) unlock(q *Request) *Reply {
	if err := validRef(q.Store); err != nil {
		return &Reply{Code: CodeInvalid, Message: err.Error()}
	}
	if s.opts.Unlocker == nil {
		return &Reply{Code: CodeInvalid, Message: "this agent cannot unlock stores"}
	}
	passcode := q.Data
	if len(passcode) == 0 && s.opts.Prompter != nil {
		ctx, cancel := context.WithTimeout(s.life, unlockTimeout)
		buf, err := s.opts.Prompter.AskPasscode(ctx, PromptText{Title: "securestore",
			Description: fmt.Sprintf("Unlock the securestore store %s in %s", q.Store.ID(), q.Store.Dir), Prompt: "Passcode:"})
		cancel()
		if err != nil {
			return &Reply{Code: CodeFailed, Message: "no passcode: " + err.Error()}
		}
		defer buf.Free()
		passcode = buf.Bytes()
	}
	if len(passcode) == 0 {
		return &Reply{Code: CodeInvalid, Message: "no passcode given"}
	}
	ctx, cancel := context.WithTimeout(s.life, unlockTimeout)
	defer cancel()
	k, err := s.opts.Unlocker.Unlock(ctx, q.Store, passcode)
	if err != nil {
		return unlockFailed(err)
	}
	gen := k.Generation
	s.keys.install(q.Store, k, s.clock.Now())
	return &Reply{Generation: gen}
}
