//go:build unix

package syncgroup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/internal/testdir"
)

// The tests run against the real 3-member etcd cluster that .ci/with-etcd
// starts (Debian's etcd-server), each under a prefix of its own, with
// devices that are separate stores (own directories, own device keys).

const startEtcd = ".ci/with-etcd go test ./syncgroup/"

// cluster is the test cluster: its endpoints (member order m1, m2, m3)
// and, for tests that kill members, the wrapper's directory.
type cluster struct {
	endpoints []string
	dir       string
	cli       *clientv3.Client // the test's own client, for scans and faults
	exclusive bool             // held exclusively (faultCluster): members may be stopped
}

// testCluster is the cluster, shared with the tests of other packages
// that run at the same time (servicetest.EtcdShared).
func testCluster(t *testing.T) *cluster {
	t.Helper()
	return openCluster(t, false)
}

// faultCluster is the cluster for a test that stops, kills or freezes
// members, or compacts: held exclusively, so that no other package's test
// meets the fault (servicetest.EtcdExclusive).
func faultCluster(t *testing.T) *cluster {
	t.Helper()
	return openCluster(t, true)
}

func openCluster(t *testing.T, exclusive bool) *cluster {
	t.Helper()
	eps := servicetest.Env(t, "SECURESTORE_TEST_ETCD", "etcd", startEtcd)
	if exclusive {
		servicetest.EtcdExclusive(t)
	} else {
		servicetest.EtcdShared(t)
	}
	c := &cluster{endpoints: strings.Split(eps, ","), dir: os.Getenv("SECURESTORE_TEST_ETCD_DIR"), exclusive: exclusive}
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	c.cli = cli
	return c
}

var prefixes atomic.Int64

// prefix is a fresh group prefix for one test.
func (c *cluster) prefix(t *testing.T) string {
	return fmt.Sprintf("/securestore-test/%d-%d-%s/", os.Getpid(), prefixes.Add(1), t.Name())
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	return servicetest.Ctx(t, d)
}

// device is one device of a test: its own store and group handle, and
// its Run loop when started.
type device struct {
	t      *testing.T
	name   string
	store  *securestore.Store
	g      *Group
	cancel context.CancelFunc
	done   chan struct{}
}

func (c *cluster) device(t *testing.T, prefix, name string) *device {
	t.Helper()
	return c.deviceVia(t, prefix, name, c.endpoints)
}

// deviceVia makes a device that reaches the cluster through endpoints
// (say a proxy in front of each member).
func (c *cluster) deviceVia(t *testing.T, prefix, name string, endpoints []string) *device {
	t.Helper()
	store, err := securestore.Open(t.Context(), securestore.Config{App: "app", Dir: testdir.New(t), Protector: "file"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Open(t.Context(), store, Config{Endpoints: endpoints, Prefix: prefix, DeviceName: name,
		CallTimeout: 2 * time.Second, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d := &device{t: t, name: name, store: store, g: g}
	t.Cleanup(func() {
		d.stop()
		g.Close()
		store.Close()
	})
	return d
}

// group makes a group of n devices: the first creates it, the others
// join and are approved by it, and every device runs.
func (c *cluster) group(t *testing.T, n int) []*device {
	t.Helper()
	devs := c.joined(t, n)
	for _, d := range devs {
		d.start()
	}
	return devs
}

// joined makes a group of n devices as group does, but starts none of
// their Run loops (for a test that sets a device up first).
func (c *cluster) joined(t *testing.T, n int) []*device {
	t.Helper()
	prefix := c.prefix(t)
	ctx := ctxFor(t, 30*time.Second)
	var devs []*device
	for i := range n {
		d := c.device(t, prefix, fmt.Sprintf("dev%d", i))
		if i == 0 {
			if err := d.g.Create(ctx); err != nil {
				t.Fatal(err)
			}
		} else {
			code, err := d.g.Join(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := devs[0].g.Approve(ctx, code); err != nil {
				t.Fatal(err)
			}
			if err := d.g.WaitMember(ctx); err != nil {
				t.Fatalf("%s after approval: %v", d.name, err)
			}
		}
		devs = append(devs, d)
	}
	return devs
}

func (d *device) start() {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go func() {
		defer close(d.done)
		d.g.Run(ctx)
	}()
}

// stop ends the device's Run loop (a device offline, or partitioned).
func (d *device) stop() {
	if d.cancel != nil {
		d.cancel()
		<-d.done
		d.cancel = nil
	}
}

var synced = &securestore.Options{Synchronizable: true}

func (d *device) set(key, value string) {
	d.t.Helper()
	if err := d.store.SetItem(d.t.Context(), key, value, synced); err != nil {
		d.t.Fatalf("%s: SetItem %s: %v", d.name, key, err)
	}
}

func (d *device) get(key string) (string, error) {
	return d.store.GetItem(d.t.Context(), key, nil)
}

// settle brings every device to the same state: each pushes what waits,
// then each waits until it has applied the group's changes up to the
// newest revision any of them pushed. Devices that are stopped are left
// out.
func settle(t *testing.T, devs ...*device) {
	t.Helper()
	ctx := ctxFor(t, 60*time.Second)
	var top int64
	for range 2 { // a push can apply a remote change that makes no new push; twice is enough
		for _, d := range devs {
			rev, err := d.g.Settle(ctx)
			// A cluster that was just stopped, killed or partitioned may
			// still be electing a leader: each call fails at its own
			// deadline (ErrUnavailable) until it is back, as the device
			// would retry; the test's deadline bounds the wait.
			for isUnavailable(err) && ctx.Err() == nil {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond): // a retry's pause, not a synchronisation
				}
				rev, err = d.g.Settle(ctx)
			}
			if err != nil {
				t.Fatalf("%s: Settle: %v", d.name, err)
			}
			top = max(top, rev)
		}
		for _, d := range devs {
			if err := d.g.WaitRevision(ctx, top); err != nil {
				t.Fatalf("%s: waiting for revision %d (at %d): %v", d.name, top, d.g.Revision(), err)
			}
		}
	}
}

// snapshot is what a device holds of the group: every synchronizable
// item's version and value (or tombstone).
func (d *device) snapshot() map[string]string {
	d.t.Helper()
	rep, err := d.store.SyncReplica(d.t.Context(), "")
	if err != nil {
		d.t.Fatal(err)
	}
	all, err := rep.Synchronizable(d.t.Context())
	if err != nil {
		d.t.Fatal(err)
	}
	out := map[string]string{}
	for _, ch := range all {
		v := "<deleted>"
		if !ch.Deleted {
			if v, err = d.store.GetItem(d.t.Context(), ch.Key, &securestore.Options{KeychainService: ch.Service}); err != nil {
				d.t.Fatalf("%s: GetItem %s: %v", d.name, ch.Key, err)
			}
		}
		out[ch.Service+"/"+ch.Key] = fmt.Sprintf("%d@%s=%s", ch.Lamport, ch.Device, v)
	}
	return out
}

// checkConverged asserts that every device holds the same synchronizable
// items, and returns them.
func checkConverged(t *testing.T, devs ...*device) map[string]string {
	t.Helper()
	want := devs[0].snapshot()
	for _, d := range devs[1:] {
		got := d.snapshot()
		if len(got) != len(want) {
			t.Errorf("%s holds %d synchronizable items, %s %d", d.name, len(got), devs[0].name, len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, %s has %q", d.name, k, got[k], devs[0].name, v)
			}
		}
	}
	return want
}

// checkEtcdBlind scans every key and value of the cluster, and every file
// of its members' data directories, for the needles: names, values and
// ThisDeviceOnly items must never reach etcd.
func (c *cluster) checkEtcdBlind(t *testing.T, needles ...string) {
	t.Helper()
	ctx := ctxFor(t, 30*time.Second)
	resp, err := c.cli.Get(ctx, "\x00", clientv3.WithFromKey())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		t.Fatal("the scan found no keys at all")
	}
	for _, kv := range resp.Kvs {
		for _, n := range needles {
			if bytes.Contains(kv.Key, []byte(n)) || bytes.Contains(kv.Value, []byte(n)) {
				t.Errorf("etcd key %q holds %q", kv.Key, n)
			}
		}
	}
	if c.dir == "" {
		servicetest.Missing(t, "etcd data directories", "$SECURESTORE_TEST_ETCD_DIR is not set", startEtcd)
	}
	scanned := 0
	filepath.WalkDir(c.dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.Contains(path, ".data") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil // a file etcd removed meanwhile
		}
		scanned++
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				t.Errorf("etcd file %s holds %q", path, n)
			}
		}
		return nil
	})
	if scanned == 0 {
		t.Error("no etcd data file scanned")
	}
}

// member is one member process of the test cluster.
type member struct {
	name     string // m1, m2, m3
	endpoint string
	dir      string
}

func (c *cluster) members(t *testing.T) []member {
	t.Helper()
	if !c.exclusive {
		t.Fatal("a test that controls members takes the cluster with faultCluster")
	}
	if c.dir == "" {
		servicetest.Missing(t, "etcd member control", "$SECURESTORE_TEST_ETCD_DIR is not set", startEtcd)
	}
	var ms []member
	for i, ep := range c.endpoints {
		ms = append(ms, member{name: fmt.Sprintf("m%d", i+1), endpoint: ep, dir: c.dir})
	}
	return ms
}

func (m member) pid(t *testing.T) int {
	b, err := os.ReadFile(filepath.Join(m.dir, m.name+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	fmt.Sscan(string(b), &pid)
	return pid
}

func (m member) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(m.pid(t), sig); err != nil {
		t.Fatalf("%s: %v: %v", m.name, sig, err)
	}
}

// freeze stops every member (SIGSTOP): etcd hangs, its connections stay
// open. It returns the thaw, which the caller defers and may also call
// earlier; only its first call resumes them.
func (c *cluster) freeze(t *testing.T) (thaw func()) {
	t.Helper()
	ms := c.members(t)
	for _, m := range ms {
		m.signal(t, syscall.SIGSTOP)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			for _, m := range ms {
				m.signal(t, syscall.SIGCONT)
			}
		})
	}
}

// kill kills the member (SIGKILL) and waits for the process to be gone.
func (m member) kill(t *testing.T) {
	t.Helper()
	pid := m.pid(t)
	m.signal(t, syscall.SIGKILL)
	ctx := ctxFor(t, 10*time.Second)
	for syscall.Kill(pid, 0) == nil {
		// A killed process that is not our child: its /proc entry goes
		// when its parent reaps it; poll the observable state.
		select {
		case <-ctx.Done():
			t.Fatalf("%s: still running after SIGKILL", m.name)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// restart starts the member again with the wrapper's script and waits
// until it answers.
func (m member) restart(t *testing.T, c *cluster) {
	t.Helper()
	ctx := ctxFor(t, 30*time.Second)
	if out, err := exec.CommandContext(ctx, filepath.Join(m.dir, m.name+".start")).CombinedOutput(); err != nil {
		t.Fatalf("%s: restart: %v: %s", m.name, err, out)
	}
	for {
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := c.cli.Status(sctx, m.endpoint)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not answering after restart: %v", m.name, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// leader returns the member that leads the cluster now.
func (c *cluster) leader(t *testing.T) member {
	t.Helper()
	ctx := ctxFor(t, 10*time.Second)
	for _, m := range c.members(t) {
		st, err := c.cli.Status(ctx, m.endpoint)
		if err == nil && st.Leader == st.Header.MemberId {
			return m
		}
	}
	t.Fatal("no member is the leader")
	return member{}
}

func isUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// The benchmarks' versions of the helpers above.

func benchCluster(b *testing.B) *cluster {
	b.Helper()
	eps := servicetest.Env(b, "SECURESTORE_TEST_ETCD", "etcd", startEtcd)
	return &cluster{endpoints: strings.Split(eps, ","), dir: os.Getenv("SECURESTORE_TEST_ETCD_DIR")}
}

type benchDev struct {
	store *securestore.Store
	g     *Group
}

func (c *cluster) benchDevice(b *testing.B, prefix, name string) *benchDev {
	b.Helper()
	store, err := securestore.Open(b.Context(), securestore.Config{App: "app", Dir: testdir.New(b), Protector: "file"})
	if err != nil {
		b.Fatal(err)
	}
	g, err := Open(b.Context(), store, Config{Endpoints: c.endpoints, Prefix: prefix, DeviceName: name})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		g.Close()
		store.Close()
	})
	return &benchDev{store, g}
}

// benchGroup makes a group of two running devices.
func (c *cluster) benchGroup(b *testing.B) (*benchDev, *benchDev) {
	b.Helper()
	prefix := fmt.Sprintf("/securestore-bench/%d/", time.Now().UnixNano())
	ctx := b.Context()
	x, y := c.benchDevice(b, prefix, "a"), c.benchDevice(b, prefix, "b")
	if err := x.g.Create(ctx); err != nil {
		b.Fatal(err)
	}
	code, err := y.g.Join(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := x.g.Approve(ctx, code); err != nil {
		b.Fatal(err)
	}
	if err := y.g.WaitMember(ctx); err != nil {
		b.Fatal(err)
	}
	for _, d := range []*benchDev{x, y} {
		rctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); d.g.Run(rctx) }()
		b.Cleanup(func() { cancel(); <-done })
	}
	return x, y
}
