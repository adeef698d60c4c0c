package securestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/storage"
)

// A store used through the agent (Config.Agent). The process keeps the
// class keys the device key gives (Always, and every class while no
// passcode is set); the passcode classes' keys stay in the agent. When
// get or set finds no local key for an item's class (ErrLocked), it hands
// the sealed record, or the value, to the agent instead: agentGet and
// agentSet. The agent binds the item's names and class into the
// associated data itself (record.ItemAD), so the record is exactly the
// one a local key would have made.

// agentLink is a storeDB's agent: the client and how the agent names the
// store.
type agentLink struct {
	client *agent.Client
	ref    agent.StoreRef
}

// agentQueryTimeout bounds Locked's question to the agent, which has no
// context of its own.
const agentQueryTimeout = 5 * time.Second

func (v *storeDB) agentItem(service, key string, class Accessibility, generation uint64) agent.Item {
	return agent.Item{Store: v.agent.ref, Class: uint8(class), Service: service, Key: key, Generation: generation}
}

// agentGet opens blob, the stored value of (service, key) in class, in the
// agent. A value that does not authenticate may be sealed under keys newer
// than the agent's (a passcode change): then the agent drops its stale
// keys and the item is locked, not damaged.
func (v *storeDB) agentGet(ctx context.Context, service, key string, class Accessibility, blob, dst []byte) ([]byte, error) {
	pt, agentGen, err := v.agent.client.Open(ctx, v.agentItem(service, key, class, 0), blob)
	if errors.Is(err, agent.ErrNotAuthentic) {
		if g, gerr := v.currentGeneration(ctx); gerr == nil && g != agentGen {
			v.agentDropStale(ctx, g)
			return dst, fmt.Errorf("%w: the store's keys changed since the agent unlocked it; unlock again", ErrLocked)
		}
	}
	if err != nil {
		return dst, agentErr(err)
	}
	dst = append(dst, pt...)
	clear(pt)
	return dst, nil
}

// agentSet seals value in the agent and writes it, if the generation of
// the agent's keys is still the store's.
func (v *storeDB) agentSet(ctx context.Context, service, key string, class Accessibility, value string) error {
	b := []byte(value)
	it, gen, err := v.agentSealItem(ctx, service, key, class, b)
	clear(b)
	if err != nil {
		return err
	}
	v.beforeWrite()
	err = v.db.PutLocal(ctx, it, generationCond(gen)) // errSynced: as in set
	if errors.Is(err, storage.ErrCondFailed) {
		if g, gerr := v.currentGeneration(ctx); gerr == nil {
			v.agentDropStale(ctx, g)
		}
		return fmt.Errorf("%w: the store's keys changed since the agent unlocked it; unlock again", ErrLocked)
	}
	return storageErr(err)
}

// agentDropStale tells the agent the store's current generation: an agent
// holding keys of another one drops them (and answers ErrLocked, which is
// the expected answer here).
func (v *storeDB) agentDropStale(ctx context.Context, current uint64) {
	_, _, _ = v.agent.client.Open(ctx, v.agentItem("-", "-", WhenUnlocked, current), nil)
}

// agentLocked reports whether the agent holds the store locked: it holds
// no WhenUnlocked key of it, or cannot be asked.
func (v *storeDB) agentLocked() bool {
	ctx, cancel := context.WithTimeout(context.Background(), agentQueryTimeout)
	defer cancel()
	st, err := v.readPasscodeState(ctx)
	if err != nil {
		return true
	}
	if st.params == nil {
		return false // no passcode: nothing is locked
	}
	ss, err := v.agent.client.Status(ctx, v.agent.ref)
	if err != nil || len(ss) == 0 {
		return true
	}
	return ss[0].Locked || ss[0].Generation != st.generation
}

// agentClasses returns the classes whose keys the agent holds for this
// store's current generation (none if it cannot be asked, or holds keys
// of another generation, which it would refuse to use).
func (v *storeDB) agentClasses(ctx context.Context) map[Accessibility]bool {
	ctx, cancel := context.WithTimeout(ctx, agentQueryTimeout)
	defer cancel()
	held := map[Accessibility]bool{}
	st, err := v.readPasscodeState(ctx)
	if err != nil {
		return held
	}
	ss, err := v.agent.client.Status(ctx, v.agent.ref)
	if err != nil || len(ss) == 0 || ss[0].Generation != st.generation {
		return held
	}
	for _, c := range ss[0].Classes {
		held[Accessibility(c)] = true
	}
	return held
}

// attachAgent connects the app's own store to the agent the config names,
// if any. Access-group stores have no passcode, so no agent use.
func attachAgent(ctx context.Context, r *resolved, own *storeDB) error {
	if own == nil {
		return nil
	}
	c, err := r.dialAgent(ctx)
	if err != nil || c == nil {
		return err
	}
	own.agent = &agentLink{client: c, ref: agent.StoreRef{Dir: r.dir, Kind: own.kind, Name: own.name, Protector: own.protector}}
	return nil
}

// closeAgent closes the store's agent client, if any.
func (v *storeDB) closeAgent() {
	if v.agent != nil {
		v.agent.client.Close()
	}
}

// agentUnlock unlocks the store in the agent: the agent runs the passcode
// attempt (counted like any other) and keeps the keys; this process gets
// none. It wipes passcode.
func (v *storeDB) agentUnlock(ctx context.Context, passcode []byte) error {
	if _, err := v.agent.client.Unlock(ctx, v.agent.ref, passcode); err != nil {
		return fmt.Errorf("securestore: unlock %s in the agent: %w", v.describe(), agentErr(err))
	}
	return nil
}

// agentLock locks the store in the agent.
func (v *storeDB) agentLock(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, agentQueryTimeout)
	defer cancel()
	if err := v.agent.client.Lock(ctx, v.agent.ref); err != nil {
		return fmt.Errorf("securestore: lock %s in the agent: %w", v.describe(), agentErr(err))
	}
	return nil
}

// UsesAgent reports whether the app's store is used through an agent
// (Config.Agent): then Unlock and Lock act on the agent, for every process
// of the user, and a program that unlocked for one command should not
// lock again afterwards.
func (s *Store) UsesAgent() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.own != nil && s.own.agent != nil
}

// agentSealItem seals value (which the caller wipes) in the agent and
// returns the item to store, with the generation of the agent's key: the
// write must commit only while it is current.
func (v *storeDB) agentSealItem(ctx context.Context, service, key string, class Accessibility, value []byte) (*storage.Item, uint64, error) {
	sealed, gen, err := v.agent.client.Seal(ctx, v.agentItem(service, key, class, 0), value)
	if err != nil {
		return nil, 0, agentErr(err)
	}
	id := v.meta.ItemID(service, key)
	return &storage.Item{ID: id, Svc: v.meta.ServiceTag(service), Class: uint8(class), Name: v.meta.SealName(id, service, key), Value: sealed}, gen, nil
}

// agentOpenValue opens a stored value in the agent (export); the caller
// wipes it. A value that does not authenticate is ErrCorrupt.
func (v *storeDB) agentOpenValue(ctx context.Context, service, key string, class Accessibility, blob []byte) ([]byte, error) {
	pt, _, err := v.agent.client.Open(ctx, v.agentItem(service, key, class, 0), blob)
	return pt, agentErr(err)
}
