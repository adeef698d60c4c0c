//go:build unix

package syncgroup

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// blackhole is a TCP proxy in front of one etcd member that can cut the
// flows it carries without closing them, as a NAT that forgot a flow or
// a peer that vanished without a reset does: the client's socket stays
// open and its writes are accepted, but nothing reaches the member and
// nothing comes back. Connections made after the cut are carried.
type blackhole struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	flows []*flow
	conns []net.Conn // every socket, closed when the test ends
}

type flow struct{ dead atomic.Bool }

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackhole{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

func (p *blackhole) addr() string { return p.ln.Addr().String() }

func (p *blackhole) serve() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return // closed at the test's end
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			down.Close()
			continue
		}
		f := &flow{}
		p.mu.Lock()
		p.flows = append(p.flows, f)
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		go f.pipe(up, down)
		go f.pipe(down, up)
	}
}

// cut kills every flow carried so far, silently.
func (p *blackhole) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.flows {
		f.dead.Store(true)
	}
}

// pipe copies src to dst, dropping what it reads once the flow is dead.
// A live flow passes a close on; a dead one says nothing.
func (f *flow) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !f.dead.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	if !f.dead.Load() {
		dst.Close()
	}
}
