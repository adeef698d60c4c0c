package agent

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/presence"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/secmem"
)

// requireAuthentication in the agent. An item set with it is sealed under
// the store's presence key (keys.PresenceKey), derived from the key of the
// WhenPasscodeSetThisDeviceOnly class. The agent derives it only right
// after the user typed the passcode at its Prompter (which shows the
// item's AuthenticationPrompt) and the Unlocker accepted it, records a
// proof of presence, and keeps the key only until the proof goes stale
// for the longest reuse window asked (presence.Proof.Expiry), or the
// store locks: then it wipes it. A request with a window of 0 always
// prompts, and the key it derived is wiped once the request is answered.
//
// The item's class byte carries AuthFlag, and the agent seals and opens
// such items only under the presence key: without a fresh proof no key
// opens them, and the associated data binds the flag, so clearing it in
// the file makes the record fail to authenticate.

// AuthFlag marks, in an item's stored class byte, an item set with
// requireAuthentication. The low bits are the item's accessibility class.
const AuthFlag uint8 = 0x80

// passcodeClass is securestore.WhenPasscodeSetThisDeviceOnly, whose key
// the presence key derives from.
const passcodeClass uint8 = 4

// presenceTimeout bounds one prompt and the passcode check after it.
const presenceTimeout = 5*time.Minute + unlockTimeout

// presenceKeys holds each store's presence key while its proof is fresh.
// Requests use a key under mu shared and send their reply before letting
// go, so that once lock returns no reply made with a wiped key is sent.
type presenceKeys struct {
	mu     sync.RWMutex
	ledger *presence.Ledger
	held   map[string]*heldPresence // by storeName
}

type heldPresence struct {
	key        *secmem.Buffer
	generation uint64
	window     time.Duration // the reuse window it is held for
	until      time.Time
	proof      presence.Proof
}

// lock wipes the presence keys and proofs of ref's store, or of all.
func (p *presenceKeys) lock(ref StoreRef) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, h := range p.held {
		if ref.IsZero() || name == storeName(ref) {
			h.key.Free()
			delete(p.held, name)
		}
	}
	if p.ledger != nil {
		if ref.IsZero() {
			p.ledger.Clear()
		} else {
			p.ledger.Forget(storeName(ref))
		}
	}
}

// expire wipes the keys whose time is up.
func (p *presenceKeys) expire(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, h := range p.held {
		if !now.Before(h.until) {
			h.key.Free()
			delete(p.held, name)
		}
	}
}

// servePresence answers an Open or Seal of an item set with
// requireAuthentication, and sends the reply itself (send), under the
// presence keys' read lock.
func (s *Server) servePresence(q *Request, send func(*Reply) bool) (*Reply, bool) {
	if err := validRef(q.Store); err != nil {
		r := &Reply{Code: CodeInvalid, Message: err.Error()}
		return r, send(r)
	}
	if q.Class&AuthFlag == 0 {
		r := &Reply{Code: CodeInvalid, Message: "a presence request for an item without the authentication flag"}
		return r, send(r)
	}
	p := &s.keys.presence
	window := presence.ClampWindow(time.Duration(min(q.PresenceWindow, uint64(presence.MaxWindow))))
	name := storeName(q.Store)
	scope := presence.Scope{Store: name}

	// A key still held under a proof fresh for this request's window.
	p.expire(s.clock.Now())
	p.mu.RLock()
	if h := p.held[name]; h != nil && window > 0 && h.proof.Fresh(s.clock.Now(), window) &&
		(q.Generation == 0 || q.Generation == h.generation) {
		r := presenceUse(q, h.key.Bytes(), h.generation)
		ok := send(r)
		p.mu.RUnlock()
		return r, ok
	}
	p.mu.RUnlock()

	// Ask the user, outside every lock: a prompt may take minutes.
	key, gen, r := s.provePresence(q)
	if r != nil {
		return r, send(r)
	}
	p.mu.Lock()
	if p.ledger == nil {
		p.ledger = presence.NewLedger(s.clock.Now)
		p.held = map[string]*heldPresence{}
	}
	proof := p.ledger.Record(scope)
	// The new key is held for this request's window, or, asked with 0,
	// for the window of the key it replaces: a read that wants a fresh
	// prompt does not shorten what the others asked for.
	hold := window
	if old := p.held[name]; old != nil {
		if hold == 0 {
			hold = old.window
		}
		old.key.Free()
		delete(p.held, name)
	}
	if hold > 0 {
		h := &heldPresence{key: key, generation: gen, window: hold, until: proof.Expiry(hold), proof: proof}
		p.held[name] = h
		s.wipeAt(h)
	}
	r = presenceUse(q, key.Bytes(), gen)
	ok := send(r)
	if hold == 0 {
		key.Free()
	}
	p.mu.Unlock()
	return r, ok
}

// wipeAt wipes h when its time is up, even if no request comes. The
// timer starts here, before the reply that hands out the proof is sent,
// so that it counts from the proof and not from whenever the goroutine
// first runs.
func (s *Server) wipeAt(h *heldPresence) {
	due := s.clock.After(h.until.Sub(s.clock.Now()))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-due:
		case <-s.done:
			return // Close wipes
		}
		p := &s.keys.presence
		p.mu.Lock()
		defer p.mu.Unlock()
		for name, cur := range p.held {
			if cur == h {
				h.key.Free()
				delete(p.held, name)
			}
		}
	}()
}

// provePresence prompts for the passcode, checks it with the Unlocker and
// returns the store's presence key and its generation; or the reply to
// send when that fails.
func (s *Server) provePresence(q *Request) (*secmem.Buffer, uint64, *Reply) {
	if s.opts.Prompter == nil || s.opts.Unlocker == nil {
		return nil, 0, &Reply{Code: CodeInvalid, Message: "this agent cannot prove the user's presence (no pinentry)"}
	}
	ctx, cancel := context.WithTimeout(s.life, presenceTimeout)
	defer cancel()
	desc := capText(q.PresencePrompt, maxPromptText)
	if desc == "" {
		desc = fmt.Sprintf("Enter the passcode of %s to use %q", q.Store.ID(), q.Key)
	}
	// The title names the store whatever text the caller chose, so that
	// a process cannot pass a prompt off as another store's.
	pass, err := s.opts.Prompter.AskPasscode(ctx, PromptText{Title: "securestore: " + q.Store.ID(), Description: desc, Prompt: "Passcode:"})
	if err != nil {
		return nil, 0, &Reply{Code: CodeFailed, Message: "no proof of presence: " + err.Error()}
	}
	k, err := s.opts.Unlocker.Unlock(ctx, q.Store, pass.Bytes())
	pass.Free()
	if err != nil {
		return nil, 0, unlockFailed(err)
	}
	defer k.Free()
	for _, c := range k.Classes {
		if c.Class == passcodeClass {
			raw := keys.PresenceKey(c.Key.Bytes(), q.Store.ID())
			buf := secmem.Copy(raw)
			keys.Wipe(raw)
			return buf, k.Generation, nil
		}
	}
	return nil, 0, &Reply{Code: CodeFailed, Message: "the store has no passcode class key"}
}

// maxPromptText caps a client's prompt text: pinentry's protocol lines
// hold 1000 bytes at most, escapes included.
const maxPromptText = 300

// capText cuts s to at most n bytes, at a character boundary.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// presenceUse seals or opens q's data under the presence key.
func presenceUse(q *Request, key []byte, gen uint64) *Reply {
	aead, err := record.NewAEAD(key)
	if err != nil {
		return &Reply{Code: CodeFailed, Message: "a presence key of the wrong size"}
	}
	defer record.ZeroAEAD(aead)
	ad := record.ItemAD(q.Store.ID(), q.Service, q.Key, q.Class)
	if q.Op == OpSeal {
		return &Reply{Generation: gen, Data: record.Seal(aead, q.Data, ad)}
	}
	pt, err := record.Open(aead, q.Data, ad)
	if err != nil {
		return &Reply{Code: CodeNotAuthentic, Generation: gen}
	}
	return &Reply{Generation: gen, Data: pt}
}

// canPrompt answers OpCanPrompt: whether a prompt could reach the user.
func (s *Server) canPrompt() *Reply {
	if s.opts.Prompter == nil {
		return &Reply{Code: CodeInvalid, Message: "the agent has no pinentry"}
	}
	if a, ok := s.opts.Prompter.(interface{ Available(context.Context) error }); ok {
		ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
		defer cancel()
		if err := a.Available(ctx); err != nil {
			return &Reply{Code: CodeInvalid, Message: err.Error()}
		}
	}
	return &Reply{}
}

// Presence says how an item set with requireAuthentication asks for the
// user's presence.
type Presence struct {
	Prompt string        // the item's AuthenticationPrompt; "" for a default text
	Window time.Duration // reuse a proof this recent (0: ask now; cut to presence.MaxWindow)
}

// OpenWithPresence opens an item set with requireAuthentication (its Class
// carries AuthFlag): the agent asks the user unless a proof within
// p.Window is fresh. It may wait as long as the user takes.
func (c *Client) OpenWithPresence(ctx context.Context, it Item, p Presence, sealed []byte) ([]byte, uint64, error) {
	return c.presenceCall(ctx, OpOpen, it, p, sealed)
}

// SealWithPresence seals value for an item set with requireAuthentication.
func (c *Client) SealWithPresence(ctx context.Context, it Item, p Presence, value []byte) ([]byte, uint64, error) {
	return c.presenceCall(ctx, OpSeal, it, p, value)
}

func (c *Client) presenceCall(ctx context.Context, op Op, it Item, p Presence, data []byte) ([]byte, uint64, error) {
	q := &Request{Op: op, Store: it.Store, Class: it.Class, Service: it.Service, Key: it.Key, Generation: it.Generation,
		Presence: true, PresencePrompt: p.Prompt, PresenceWindow: uint64(max(p.Window, 0)), Data: data}
	// The server's budget starts when it reads the request; the client's
	// covers that plus the round trip, so that it does not give up just
	// as the reply comes, after the user has typed the passcode.
	r, err := c.call(ctx, q, presenceTimeout+CallTimeout)
	if r != nil && err != nil {
		return nil, r.Generation, err
	}
	if err != nil {
		return nil, 0, err
	}
	return r.Data, r.Generation, nil
}

// CanPrompt reports whether the agent can prove the user's presence now:
// nil when it has a pinentry that can reach a terminal or a display, else
// an error wrapping ErrRefused that says why.
func (c *Client) CanPrompt(ctx context.Context) error {
	_, err := c.call(ctx, &Request{Op: OpCanPrompt}, CallTimeout)
	return err
}
