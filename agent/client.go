package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"time"
)

// Deadlines of a client's calls: every call has one, the shorter of its
// context's and these.
const (
	DialTimeout = 2 * time.Second
	CallTimeout = 10 * time.Second // Open, Seal, Lock, Status, Log
)

// Client talks to one agent. It keeps a few connections open for reuse and
// is safe for concurrent use. Close it when done.
type Client struct {
	path string

	mu     sync.Mutex
	idle   []net.Conn
	closed bool
}

// maxIdle is how many idle connections a client keeps.
const maxIdle = 4

// Dial returns a client of the agent at path ("" for SocketPath()). A
// missing socket file fails at once with ErrNoAgent (one stat, no
// timeout), so a program with no agent pays nothing; a socket no agent
// serves fails with ErrUnavailable.
func Dial(ctx context.Context, path string) (*Client, error) {
	if path == "" {
		var err error
		if path, err = SocketPath(); err != nil {
			return nil, err
		}
	}
	c := &Client{path: path}
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.put(conn)
	return c, nil
}

// Path is the socket the client talks to.
func (c *Client) Path() string { return c.path }

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	if _, err := os.Stat(c.path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s)", ErrNoAgent, c.path)
	}
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return conn, nil
}

func (c *Client) get() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.idle); n > 0 {
		conn := c.idle[n-1]
		c.idle = c.idle[:n-1]
		return conn
	}
	return nil
}

func (c *Client) put(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle) >= maxIdle {
		conn.Close()
		return
	}
	c.idle = append(c.idle, conn)
}

// Close closes the client's connections.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, conn := range c.idle {
		conn.Close()
	}
	c.idle = nil
	return nil
}

// call sends q and returns the reply. A connection from the pool that
// turns out dead (the agent restarted) is replaced once, for requests
// that are safe to repeat; the caller wipes q.Data.
func (c *Client) call(ctx context.Context, q *Request, timeout time.Duration) (*Reply, error) {
	body := EncodeRequest(q)
	defer clear(body)
	for attempt := 0; ; attempt++ {
		conn, pooled := c.get(), true
		if conn == nil {
			var err error
			if conn, err = c.dial(ctx); err != nil {
				return nil, err
			}
			pooled = false
		}
		r, err := roundTrip(ctx, conn, body, timeout)
		if err == nil {
			c.put(conn)
			return r, codeErr(r)
		}
		conn.Close()
		if pooled && attempt == 0 && q.Op != OpUnlock && ctx.Err() == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, q.Op, err)
	}
}

func roundTrip(ctx context.Context, conn net.Conn, body []byte, timeout time.Duration) (*Reply, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := writeFrame(conn, body); err != nil {
		return nil, err
	}
	rb, err := readFrame(conn)
	if err != nil {
		return nil, err
	}
	defer clear(rb)
	return DecodeReply(rb)
}

// Unlock has the agent unlock the store with passcode, which it wipes. It
// returns the generation of the keys the agent now holds.
func (c *Client) Unlock(ctx context.Context, store StoreRef, passcode []byte) (uint64, error) {
	defer clear(passcode)
	q := &Request{Op: OpUnlock, Store: store, Data: passcode}
	r, err := c.call(ctx, q, unlockTimeout)
	if err != nil {
		return 0, err
	}
	return r.Generation, nil
}

// Lock locks the store's WhenUnlocked classes in the agent; the zero
// StoreRef locks every store.
func (c *Client) Lock(ctx context.Context, store StoreRef) error {
	_, err := c.call(ctx, &Request{Op: OpLock, Store: store}, CallTimeout)
	return err
}

// Status describes the store in the agent (none when it holds no key of
// it); the zero StoreRef describes every store it holds keys of.
func (c *Client) Status(ctx context.Context, store StoreRef) ([]StoreStatus, error) {
	r, err := c.call(ctx, &Request{Op: OpStatus, Store: store}, CallTimeout)
	if err != nil {
		return nil, err
	}
	return r.Stores, nil
}

// Synced is the state of the stores the agent keeps in sync (agent
// --sync): none when it keeps none, or predates the list.
func (c *Client) Synced(ctx context.Context) ([]SyncStatus, error) {
	r, err := c.call(ctx, &Request{Op: OpStatus}, CallTimeout)
	if err != nil {
		return nil, err
	}
	return r.Synced, nil
}

// Item names one item for Open and Seal: its store, class and names, and
// the store's key generation the client read (0: not read).
type Item struct {
	Store      StoreRef
	Class      uint8
	Service    string
	Key        string
	Generation uint64
}

// Open opens the item's sealed value with the agent's key. It returns the
// value (the caller wipes it) and the generation of the key used; on
// ErrNotAuthentic, ErrLocked the generation is the agent's, if it holds
// the store.
func (c *Client) Open(ctx context.Context, it Item, sealed []byte) ([]byte, uint64, error) {
	q := &Request{Op: OpOpen, Store: it.Store, Class: it.Class, Service: it.Service, Key: it.Key, Generation: it.Generation, Data: sealed}
	r, err := c.call(ctx, q, CallTimeout)
	if r != nil && err != nil {
		return nil, r.Generation, err
	}
	if err != nil {
		return nil, 0, err
	}
	return r.Data, r.Generation, nil
}

// Seal seals value (which the caller still wipes) with the agent's key of
// the item's class, and returns the sealed value and the key's generation,
// which the caller's write must check is still current.
func (c *Client) Seal(ctx context.Context, it Item, value []byte) ([]byte, uint64, error) {
	q := &Request{Op: OpSeal, Store: it.Store, Class: it.Class, Service: it.Service, Key: it.Key, Generation: it.Generation, Data: value}
	r, err := c.call(ctx, q, CallTimeout)
	if r != nil && err != nil {
		return nil, r.Generation, err
	}
	if err != nil {
		return nil, 0, err
	}
	return r.Data, r.Generation, nil
}

// Log returns the agent's access log, oldest first.
func (c *Client) Log(ctx context.Context) ([]LogEntry, error) {
	r, err := c.call(ctx, &Request{Op: OpLog}, CallTimeout)
	if err != nil {
		return nil, err
	}
	return r.Log, nil
}

// Stop asks the agent to wipe every key and exit, as gpgconf --kill
// gpg-agent does.
func (c *Client) Stop(ctx context.Context) error {
	_, err := c.call(ctx, &Request{Op: OpStop}, CallTimeout)
	return err
}
