package syncgroup

import (
	"context"
	"crypto/hpke"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/securestore-go/securestore"
)

// Group is one store's membership of a sync group: its etcd client, its
// device key pair and the group keys it holds. Its methods are safe for
// concurrent use; Run is the loop that keeps the store in sync.
type Group struct {
	cfg Config
	rep *securestore.SyncReplica
	cli *clientv3.Client

	device string          // this device's id
	pub    []byte          // its public key
	priv   hpke.PrivateKey // its private key; nil after Close (guarded by mu once Open returns)

	mu      sync.Mutex
	groupID string            // "" until Create or Join
	epoch   uint32            // the newest epoch whose bundle this device holds
	bundles map[uint32]bundle // epoch → bundle, wiped by Close
	rev     int64             // the etcd revision applied up to
	revCh   chan struct{}     // closed and replaced when rev advances
	errs    []StatusError     // the latest errors, newest last

	pushMu sync.Mutex // one push at a time

	listings atomic.Int64 // full listings done, for tests

	// How Run's watch checks that it is alive (liveness.go): after
	// watchIdle with nothing delivered it asks for progress, and gives up
	// when nothing arrives within progressWait. From Config; tests
	// shorten them before Run starts.
	watchIdle, progressWait time.Duration
	// testOnlySilent, if set before Run starts, is called each time Run
	// gives up on a silent watch, with the error Run gets.
	testOnlySilent func(err error)
}

// Local settings (securestore.SyncReplica.Setting names).
const (
	setPrefix  = "prefix"
	setGroup   = "group"
	setDevKey  = "device_key" // the private key, sealed by SealLocal
	setRev     = "rev"
	setErrors  = "errors"
	setBundle  = "bundle." // + epoch: a bundle, sealed by SealLocal
	setEpochs  = "epochs"  // the epochs held, comma separated
	labelDev   = "device private key"
	labelBndle = "group key bundle "
)

// Open connects store to the group at cfg.Prefix, creating this device's
// key pair on first use. The device is a member once Create, or Join and
// a member's Approve, made it one; Open after that (say after a restart)
// resumes with the keys kept in the store.
func Open(ctx context.Context, store *securestore.Store, cfg Config) (*Group, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	rep, err := store.SyncReplica(ctx, cfg.AccessGroup)
	if err != nil {
		return nil, err
	}
	g := &Group{cfg: cfg, rep: rep, bundles: map[uint32]bundle{}, revCh: make(chan struct{}),
		watchIdle: cfg.watchIdle(), progressWait: cfg.CallTimeout}
	if err := g.loadLocal(ctx); err != nil {
		g.wipe() // the device key and any bundle read before the failure
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		TLS:         cfg.TLS,
		Username:    cfg.Username,
		Password:    cfg.Password,
		DialTimeout: cfg.DialTimeout,
		// A connection that stops answering is dropped within
		// keepaliveTime+CallTimeout, so that calls and the watch
		// reconnect instead of waiting on it. Only connections with a
		// call or a watch on them are pinged: etcd's server refuses
		// pings on a connection without one (PermitWithoutStream is
		// false on its side) and closes it with GOAWAY too_many_pings,
		// and on each such GOAWAY gRPC doubles the keepalive interval
		// for the whole client, so within hours it would no longer
		// notice a dead connection under the watch either. An idle
		// connection that died costs the first call on it its
		// CallTimeout, and is dropped by the pings that call starts.
		DialKeepAliveTime:    cfg.keepaliveTime(),
		DialKeepAliveTimeout: cfg.CallTimeout,
		PermitWithoutStream:  false,
		Logger:               zap.NewNop(),
		Context:              context.WithoutCancel(ctx),
	})
	if err != nil {
		g.wipe()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	g.cli = cli
	return g, nil
}

// loadLocal reads (or makes) the device key pair and the group state the
// store keeps.
func (g *Group) loadLocal(ctx context.Context) error {
	if p, err := g.rep.Setting(ctx, setPrefix); err == nil && string(p) != g.cfg.Prefix {
		return fmt.Errorf("syncgroup: this store is in the group at %q, not %q", p, g.cfg.Prefix)
	}
	blob, err := g.rep.Setting(ctx, setDevKey)
	switch {
	case errors.Is(err, securestore.ErrNotFound):
		priv, err := kem.GenerateKey()
		if err != nil {
			return err
		}
		raw, err := priv.Bytes()
		if err != nil {
			return err
		}
		blob = g.rep.SealLocal(labelDev, raw)
		clear(raw)
		if err := g.rep.SetSetting(ctx, map[string][]byte{setDevKey: blob}); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	raw, err := g.rep.OpenLocal(labelDev, blob)
	if err != nil {
		return err
	}
	g.priv, err = kem.NewPrivateKey(raw)
	clear(raw)
	if err != nil {
		return fmt.Errorf("syncgroup: the device key: %w", err)
	}
	g.pub = g.priv.PublicKey().Bytes()
	g.device = deviceID(g.pub)
	if err := g.rep.SetDevice(ctx, g.device); err != nil {
		return err
	}
	if id, err := g.rep.Setting(ctx, setGroup); err == nil {
		g.groupID = string(id)
	}
	if r, err := g.rep.Setting(ctx, setRev); err == nil {
		g.rev, _ = strconv.ParseInt(string(r), 10, 64)
	}
	if e, err := g.rep.Setting(ctx, setErrors); err == nil {
		_ = json.Unmarshal(e, &g.errs)
	}
	if es, err := g.rep.Setting(ctx, setEpochs); err == nil {
		for _, s := range strings.Split(string(es), ",") {
			e, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				continue
			}
			blob, err := g.rep.Setting(ctx, setBundle+s)
			if err != nil {
				return err
			}
			b, err := g.rep.OpenLocal(labelBndle+s, blob)
			if err != nil {
				return err
			}
			g.bundles[uint32(e)] = bundle(b)
			g.epoch = max(g.epoch, uint32(e))
		}
	}
	return nil
}

// Device returns this device's id.
func (g *Group) Device() string { return g.device }

// Code returns this device's join code, which Approve on a member takes.
func (g *Group) Code() string { return Code(g.device) }

// call runs fn with the per-call deadline; a deadline or unreachable
// cluster is ErrUnavailable.
func (g *Group) call(ctx context.Context, fn func(ctx context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, g.cfg.CallTimeout)
	defer cancel()
	err := fn(cctx)
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || cctx.Err() != nil && ctx.Err() == nil) {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return err
}

type deviceEntry struct {
	Public []byte `json:"public"`
	Name   string `json:"name,omitempty"`
}

func (g *Group) deviceEntry() string {
	b, _ := json.Marshal(deviceEntry{Public: g.pub, Name: g.cfg.DeviceName})
	return string(b)
}

// Create makes a new group at the prefix with this device as its only
// member. It fails with ErrGroupExists when the prefix holds one.
func (g *Group) Create(ctx context.Context) error {
	idb := make([]byte, 16)
	rand.Read(idb)
	groupID := hex.EncodeToString(idb)
	b := newBundle(nil)
	wrapped, err := wrapBundle(g.pub, groupID, 1, g.device, b)
	if err != nil {
		return err
	}
	var resp *clientv3.TxnResponse
	err = g.call(ctx, func(ctx context.Context) (err error) {
		resp, err = g.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(g.cfg.groupKey()), "=", 0)).
			Then(clientv3.OpPut(g.cfg.groupKey(), groupID),
				clientv3.OpPut(g.cfg.epochKey(), "1"),
				clientv3.OpPut(g.cfg.deviceKey(g.device), g.deviceEntry()),
				clientv3.OpPut(g.cfg.wrappedKey(1, g.device), string(wrapped))).Commit()
		return err
	})
	if err != nil {
		b.wipe()
		return fmt.Errorf("syncgroup: create: %w", err)
	}
	if !resp.Succeeded {
		b.wipe()
		return fmt.Errorf("syncgroup: create at %q: %w", g.cfg.Prefix, ErrGroupExists)
	}
	if err := g.setGroup(ctx, groupID); err != nil {
		return err
	}
	return g.keep(ctx, 1, b)
}

func (g *Group) setGroup(ctx context.Context, groupID string) error {
	g.mu.Lock()
	g.groupID = groupID
	g.mu.Unlock()
	return g.rep.SetSetting(ctx, map[string][]byte{setPrefix: []byte(g.cfg.Prefix), setGroup: []byte(groupID)})
}

// keep stores bundle b of epoch e (sealed by the device key) and uses it.
func (g *Group) keep(ctx context.Context, e uint32, b bundle) error {
	g.mu.Lock()
	if old := g.bundles[e]; old != nil {
		g.mu.Unlock()
		b.wipe()
		return nil
	}
	g.bundles[e] = b
	g.epoch = max(g.epoch, e)
	var epochs []string
	for k := range g.bundles {
		epochs = append(epochs, strconv.FormatUint(uint64(k), 10))
	}
	g.mu.Unlock()
	s := strconv.FormatUint(uint64(e), 10)
	return g.rep.SetSetting(ctx, map[string][]byte{
		setBundle + s: g.rep.SealLocal(labelBndle+s, b),
		setEpochs:     []byte(strings.Join(epochs, ",")),
	})
}

// Join publishes this device's public key under the prefix and returns
// its join code: a member checks it with Approve, which gives this device
// the group key. Run (or Sync) picks the key up once it is there.
func (g *Group) Join(ctx context.Context) (code string, err error) {
	var groupID string
	err = g.call(ctx, func(ctx context.Context) error {
		resp, err := g.cli.Get(ctx, g.cfg.groupKey())
		if err != nil {
			return err
		}
		if len(resp.Kvs) == 0 {
			return fmt.Errorf("%w at %q", ErrNoGroup, g.cfg.Prefix)
		}
		groupID = string(resp.Kvs[0].Value)
		_, err = g.cli.Put(ctx, g.cfg.deviceKey(g.device), g.deviceEntry())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("syncgroup: join: %w", err)
	}
	if err := g.setGroup(ctx, groupID); err != nil {
		return "", err
	}
	return g.Code(), nil
}

// current returns the group id, the newest epoch held and its bundle, or
// ErrNotMember.
func (g *Group) current() (string, uint32, bundle, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.bundles[g.epoch]
	if g.groupID == "" || b == nil {
		return "", 0, nil, ErrNotMember
	}
	return g.groupID, g.epoch, b, nil
}

func (g *Group) bundleFor(e uint32) bundle {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.bundles[e]
}

// devices lists the published devices whose id matches their key.
// resolveCode finds the one device in devs that code names: its whole id,
// or its join code (the id's first CodeLen characters). No match, or a
// code that several devices share, is ErrUnknownCode: approving or
// revoking one of them picked at random could act on the wrong device.
func resolveCode(devs map[string]deviceEntry, code string) (string, error) {
	want := normalizeCode(code)
	if _, ok := devs[want]; ok {
		return want, nil
	}
	var id string
	if len(want) == CodeLen {
		for d := range devs {
			if !strings.HasPrefix(d, want) {
				continue
			}
			if id != "" {
				return "", fmt.Errorf("%w: two devices share the code %s", ErrUnknownCode, Code(d))
			}
			id = d
		}
	}
	if id == "" {
		return "", fmt.Errorf("%w: %q", ErrUnknownCode, code)
	}
	return id, nil
}

func (g *Group) devices(ctx context.Context) (map[string]deviceEntry, error) {
	out := map[string]deviceEntry{}
	err := g.call(ctx, func(ctx context.Context) error {
		resp, err := g.cli.Get(ctx, g.cfg.devicesPrefix(), clientv3.WithPrefix())
		if err != nil {
			return err
		}
		for _, kv := range resp.Kvs {
			id := strings.TrimPrefix(string(kv.Key), g.cfg.devicesPrefix())
			var d deviceEntry
			if json.Unmarshal(kv.Value, &d) != nil || deviceID(d.Public) != id {
				g.noteError(fmt.Errorf("%w: the device entry %s", ErrBadRecord, id), kv.ModRevision)
				continue
			}
			out[id] = d
		}
		return nil
	})
	return out, err
}

// Approve gives the group key to the waiting device whose join code is
// code, after checking that the code is the hash of the public key the
// device published. The code's 50 bits stand between an attacker who can
// write under the prefix and a key of their choosing: compare the whole
// code.
func (g *Group) Approve(ctx context.Context, code string) error {
	groupID, epoch, b, err := g.current()
	if err != nil {
		return fmt.Errorf("syncgroup: approve: %w", err)
	}
	want := normalizeCode(code)
	if len(want) != CodeLen {
		return fmt.Errorf("syncgroup: approve: %w: a code has %d characters", ErrUnknownCode, CodeLen)
	}
	devs, err := g.devices(ctx)
	if err != nil {
		return fmt.Errorf("syncgroup: approve: %w", err)
	}
	id, err := resolveCode(devs, want)
	if err != nil {
		return fmt.Errorf("syncgroup: approve: %w", err)
	}
	wrapped, err := wrapBundle(devs[id].Public, groupID, epoch, id, b)
	if err != nil {
		return err
	}
	return g.call(ctx, func(ctx context.Context) error {
		_, err := g.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(g.cfg.deviceKey(id)), ">", 0)).
			Then(clientv3.OpPut(g.cfg.wrappedKey(epoch, id), string(wrapped))).Commit()
		return err
	})
}

// Close stops using the group: it closes the etcd client and wipes the
// keys from memory. The store stays open.
func (g *Group) Close() error {
	err := g.cli.Close()
	g.wipe()
	return err
}

// wipe forgets the keys: the group bundles are zeroed, and the device's
// private key is dropped (the hpke key type offers no way to zero it).
func (g *Group) wipe() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range g.bundles {
		b.wipe()
	}
	clear(g.bundles)
	g.priv = nil
}

// WaitMember waits until this device holds the group's key (a member
// approved its join code), or ctx ends.
func (g *Group) WaitMember(ctx context.Context) error {
	for {
		var resp *clientv3.GetResponse
		err := g.call(ctx, func(ctx context.Context) (err error) {
			resp, err = g.cli.Get(ctx, g.cfg.keysPrefix(), clientv3.WithPrefix())
			return err
		})
		if err != nil {
			return err
		}
		for _, kv := range resp.Kvs {
			if err := g.takeKey(ctx, kv); err != nil {
				g.noteError(err, kv.ModRevision)
			}
		}
		if _, _, _, err := g.current(); err == nil {
			return nil
		}
		if err := g.waitKeyEvent(ctx, resp.Header.Revision+1); err != nil {
			return err
		}
	}
}

// waitKeyEvent watches the group's key entries from rev until one is
// wrapped to this device (then it is taken), or the watch ends.
func (g *Group) waitKeyEvent(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range g.cli.Watch(wctx, g.cfg.keysPrefix(), clientv3.WithPrefix(), clientv3.WithRev(rev)) {
		if err := resp.Err(); err != nil {
			return nil // the caller lists again
		}
		for _, ev := range resp.Events {
			if err := g.takeKey(ctx, ev.Kv); err != nil {
				g.noteError(err, ev.Kv.ModRevision)
			}
		}
		if _, _, _, err := g.current(); err == nil {
			return nil
		}
	}
	return ctx.Err()
}
