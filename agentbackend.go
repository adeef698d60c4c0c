package securestore

import (
	"context"
	"errors"
	"fmt"

	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/secmem"
)

// AgentUnlocker is the agent's way from a passcode to a store's class keys
// (agent.Unlocker): the securestore CLI runs its agent as
// agent.NewServer(agent.Options{Unlocker: securestore.AgentUnlocker()}).
//
// It opens the store the reference names the normal way (no store is
// created), runs the same passcode attempt Store.Unlock runs — the attempt
// is counted and the wrong-passcode delay applies, in the store's file,
// across every process — and hands over copies of the passcode classes'
// keys in locked memory, with the key generation they belong to.
func AgentUnlocker() agent.Unlocker { return agentUnlocker{} }

type agentUnlocker struct {
	clock *clock // the stores' clock; nil: the real one (tests freeze it)
}

func (u agentUnlocker) Unlock(ctx context.Context, ref agent.StoreRef, passcode []byte) (*agent.Keys, error) {
	if ref.Kind != "app" {
		return nil, fmt.Errorf("%w: only an app's own store has a passcode", ErrNoPasscode)
	}
	s, err := Open(ctx, Config{App: ref.Name, Dir: ref.Dir, Protector: ref.Protector, NoCreate: true, Agent: AgentOff})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if u.clock != nil {
		s.clock = *u.clock
	}
	v, done, err := s.ownDB(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	p := append([]byte(nil), passcode...) // checkPasscode does not keep it; the agent wipes its own
	defer clear(p)
	got, st, err := v.checkPasscode(ctx, s.clock, p)
	if errors.Is(err, ErrWrongPasscode) {
		return nil, fmt.Errorf("%w: %w", agent.ErrWrongPasscode, err)
	}
	if err != nil {
		return nil, err
	}
	defer wipeKeys(got)
	k := &agent.Keys{Generation: st.generation}
	for c, raw := range got {
		k.Classes = append(k.Classes, agent.ClassKey{Class: uint8(c), Key: secmem.Copy(raw), KeepOnLock: !c.droppedOnLock()})
	}
	return k, nil
}
