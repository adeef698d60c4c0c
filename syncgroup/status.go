package syncgroup

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"time"
)

// StatusError is one recorded sync failure: what went wrong with which
// etcd revision (never a name or a value).
type StatusError struct {
	Time  time.Time `json:"time"`
	Rev   int64     `json:"rev,omitempty"`
	Error string    `json:"error"`
	err   error
}

// Err returns the error itself, for errors.Is (nil for errors read back
// from the store).
func (e StatusError) Err() error { return e.err }

const keptErrors = 20

// noteError records err in the status (the newest keptErrors are kept,
// in the store too, so that `securestore sync status` in another process
// shows them).
func (g *Group) noteError(err error, rev int64) {
	if err == nil {
		return
	}
	g.mu.Lock()
	g.errs = append(g.errs, StatusError{Time: time.Now().UTC(), Rev: rev, Error: err.Error(), err: err})
	if len(g.errs) > keptErrors {
		g.errs = g.errs[len(g.errs)-keptErrors:]
	}
	b, _ := json.Marshal(g.errs)
	g.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.CallTimeout)
	defer cancel()
	_ = g.rep.SetSetting(ctx, map[string][]byte{setErrors: b})
}

// Errors returns the recorded errors, oldest first.
func (g *Group) Errors() []StatusError {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]StatusError(nil), g.errs...)
}

// HasError reports whether a recorded error (of this process) is target.
func (g *Group) HasError(target error) bool {
	for _, e := range g.Errors() {
		if e.err != nil && errors.Is(e.err, target) {
			return true
		}
	}
	return false
}

// Status is what `securestore sync status` shows.
type Status struct {
	Prefix   string        `json:"prefix"`
	Group    string        `json:"group"`
	Device   string        `json:"device"`
	Code     string        `json:"code"`
	Member   bool          `json:"member"` // holds the group's current key
	Epoch    uint32        `json:"epoch"`
	Devices  []DeviceInfo  `json:"devices"`  // nil when etcd did not answer
	Revision int64         `json:"revision"` // the etcd revision applied up to
	Pending  int           `json:"pending"`  // local changes waiting to be pushed
	Locked   int           `json:"locked"`   // of which waiting for Unlock
	Waiting  int           `json:"waiting"`  // remote changes waiting for a key (Unlock, or approval)
	Errors   []StatusError `json:"errors"`
	EtcdErr  string        `json:"etcd_error,omitempty"`
}

// DeviceInfo is one published device.
type DeviceInfo struct {
	ID   string `json:"id"`
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
	// Approved: it holds the group's current key.
	Approved bool `json:"approved"`
}

// Status reports the group's state. It reads the devices from etcd within
// the call deadline; the rest is local and answers with etcd down.
func (g *Group) Status(ctx context.Context) (*Status, error) {
	g.mu.Lock()
	st := &Status{Prefix: g.cfg.Prefix, Group: g.groupID, Device: g.device, Code: Code(g.device),
		Epoch: g.epoch, Revision: g.rev, Errors: append([]StatusError{}, g.errs...),
		Member: g.bundles[g.epoch] != nil && g.groupID != ""}
	g.mu.Unlock()
	var err error
	if st.Pending, st.Locked, err = g.rep.PendingCount(ctx); err != nil {
		return nil, err
	}
	waiting, err := g.rep.Deferred(ctx)
	if err != nil {
		return nil, err
	}
	st.Waiting = len(waiting)
	devs, err := g.devices(ctx)
	if err != nil {
		st.EtcdErr = err.Error()
		return st, nil
	}
	approved := map[string]bool{}
	_ = g.call(ctx, func(ctx context.Context) error {
		resp, err := g.cli.Get(ctx, g.cfg.wrappedKey(st.Epoch, ""), withPrefix())
		if err != nil {
			return err
		}
		for _, kv := range resp.Kvs {
			approved[string(kv.Key[len(g.cfg.wrappedKey(st.Epoch, "")):])] = true
		}
		return nil
	})
	for id, d := range devs {
		st.Devices = append(st.Devices, DeviceInfo{ID: id, Code: Code(id), Name: d.Name, Approved: approved[id]})
	}
	sort.Slice(st.Devices, func(i, j int) bool { return st.Devices[i].ID < st.Devices[j].ID })
	return st, nil
}

// Revision returns the etcd revision this device has applied up to.
func (g *Group) Revision() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rev
}

// WaitRevision waits until this device has applied the group's changes up
// to etcd revision rev (Run applies them), or ctx ends.
func (g *Group) WaitRevision(ctx context.Context, rev int64) error {
	for {
		g.mu.Lock()
		cur, ch := g.rev, g.revCh
		g.mu.Unlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// advance records that changes up to rev are applied, here and in the
// store (so that a restart catches up from there).
func (g *Group) advance(ctx context.Context, rev int64) error {
	g.mu.Lock()
	if rev <= g.rev {
		g.mu.Unlock()
		return nil
	}
	g.rev = rev
	close(g.revCh)
	g.revCh = make(chan struct{})
	g.mu.Unlock()
	return g.rep.SetSetting(ctx, map[string][]byte{setRev: []byte(strconv.FormatInt(rev, 10))})
}
