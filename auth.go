package securestore

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/securestore-go/securestore/agent"
	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/internal/presence"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/internal/storage"
)

// requireAuthentication (Expo SDK 43+). An item set with
// Options.RequireAuthentication is stored with agent.AuthFlag in its class
// byte, and sealed by the agent under the store's presence key, which the
// agent derives only right after the user typed the passcode at its
// pinentry (agent/presence.go). This process never holds that key: it
// hands the sealed record to the agent, which asks the user unless a proof
// within the reuse window is fresh. The flag is part of the associated
// data, so clearing it in the file makes the record fail to authenticate
// (ErrCorrupt); a securestore that predates the flag reads the class as
// unknown (ErrCorrupt), never as a value. docs/FORMAT.md has the format.

// MaxAuthenticationReuseWindow caps Options.AuthenticationReuseWindow, as
// iOS caps LAContext's reuse duration.
const MaxAuthenticationReuseWindow = presence.MaxWindow

// authFlag is agent.AuthFlag as the stored class byte carries it.
const authFlag = agent.AuthFlag

// authAsk carries a GetItem's prompt and reuse window down to the read,
// which alone learns (from the stored class byte) that it needs them.
type authAskKey struct{}

func withAuthAsk(ctx context.Context, opts *Options) context.Context {
	if opts == nil || (opts.AuthenticationPrompt == "" && opts.AuthenticationReuseWindow == 0) {
		return ctx // the common read pays nothing
	}
	return context.WithValue(ctx, authAskKey{}, agent.Presence{Prompt: opts.AuthenticationPrompt, Window: opts.AuthenticationReuseWindow})
}

func authAskOf(ctx context.Context) agent.Presence {
	p, _ := ctx.Value(authAskKey{}).(agent.Presence)
	return p
}

// checkAuthOptions checks the authentication fields of opts.
func checkAuthOptions(opts *Options) error {
	if opts != nil && opts.AuthenticationReuseWindow < 0 {
		return fmt.Errorf("%w: a negative AuthenticationReuseWindow", ErrInvalidOption)
	}
	return nil
}

// errAuthSynced refuses to make a synchronizable item require
// authentication: its key exists only on this device.
var errAuthSynced = fmt.Errorf("%w: a synchronizable item cannot be made to require authentication; delete it first", ErrInvalidOption)

// setAuthenticated stores an item set with RequireAuthentication: sealed
// by the agent under the presence key, which asks the user first.
func (v *storeDB) setAuthenticated(ctx context.Context, service, key string, class Accessibility, value string, opts *Options) error {
	st, err := v.readPasscodeState(ctx)
	if err != nil {
		return err
	}
	if st.params == nil {
		return fmt.Errorf("%w: RequireAuthentication needs a passcode (Store.SetPasscode)", ErrNoPasscode)
	}
	if v.agent == nil {
		return fmt.Errorf("%w: no agent is running to ask the user (securestore agent)", ErrAuthenticationRequired)
	}
	v.writeMu.RLock()
	defer v.writeMu.RUnlock()
	if err := v.advanceEpoch(ctx); err != nil {
		return err
	}
	stored := uint8(class) | authFlag
	b := []byte(value)
	sealed, gen, err := v.agent.client.SealWithPresence(ctx, v.agentItem(service, key, Accessibility(stored), st.generation),
		agent.Presence{Prompt: opts.AuthenticationPrompt, Window: opts.AuthenticationReuseWindow}, b)
	clear(b)
	if err != nil {
		return authErr(err)
	}
	id := v.meta.ItemID(service, key)
	it := &storage.Item{ID: id, Svc: v.meta.ServiceTag(service), Class: stored, Name: v.meta.SealName(id, service, key), Value: sealed}
	// Local: SetItem refused a synchronizable item before the prompt, and
	// the commit checks again, in case another process made it
	// synchronizable meanwhile.
	v.beforeWrite()
	err = v.db.PutLocal(ctx, it, generationCond(gen))
	switch {
	case errors.Is(err, storage.ErrCondFailed):
		return fmt.Errorf("%w: the store's keys changed during the write; try again", ErrLocked)
	case errors.Is(err, storage.ErrSynced):
		return errAuthSynced
	}
	return storageErr(err)
}

// getAuthenticated reads an item whose stored class byte carries the
// flag: only the agent, after a proof of presence, can open it.
func (v *storeDB) getAuthenticated(ctx context.Context, service, key string, stored uint8, blob, dst []byte) ([]byte, error) {
	if !Accessibility(stored &^ authFlag).valid() {
		return dst, fmt.Errorf("%w: unknown class %d", ErrCorrupt, stored)
	}
	if v.agent == nil {
		return dst, fmt.Errorf("%w: the item was set with RequireAuthentication and no agent is running to ask the user (securestore agent)", ErrAuthenticationRequired)
	}
	// The store's generation: a presence key the agent still holds from
	// before a passcode change is then not used, and the agent prompts.
	gen, err := v.currentGeneration(ctx)
	if err != nil {
		return dst, err
	}
	pt, _, err := v.agent.client.OpenWithPresence(ctx, v.agentItem(service, key, Accessibility(stored), gen), authAskOf(ctx), blob)
	if err != nil {
		return dst, authErr(err)
	}
	dst = append(dst, pt...)
	clear(pt)
	return dst, nil
}

// authErr maps the agent's answers to a presence request.
func authErr(err error) error {
	switch {
	case errors.Is(err, agent.ErrWrongPasscode):
		return fmt.Errorf("%w: %w", ErrAuthenticationRequired, ErrWrongPasscode)
	case errors.Is(err, agent.ErrNotAuthentic):
		return fmt.Errorf("%w: the value does not authenticate", ErrCorrupt)
	case errors.Is(err, agent.ErrLocked):
		return fmt.Errorf("%w (%w)", ErrLocked, err)
	}
	return fmt.Errorf("%w: %w", ErrAuthenticationRequired, err)
}

// CanUseAuthentication reports whether this process can get a proof of the
// user's presence now, for items set with Options.RequireAuthentication
// (Expo's canUseBiometricAuthentication): the app's store has a passcode,
// an agent answers, and the agent has a pinentry that can reach a terminal
// or a display. When it cannot, reason says why.
func (s *Store) CanUseAuthentication(ctx context.Context) (ok bool, reason string) {
	v, done, err := s.ownDB(ctx)
	if err != nil {
		return false, err.Error()
	}
	defer done()
	st, err := v.readPasscodeState(ctx)
	switch {
	case err != nil:
		return false, err.Error()
	case st.params == nil:
		return false, "no passcode is set"
	case v.agent == nil:
		return false, "no agent is running (securestore agent)"
	}
	if err := v.agent.client.CanPrompt(ctx); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// deleteAuthItems deletes the items set with RequireAuthentication, when
// the passcode is removed: their presence key derives from the
// passcode-only class key, which goes with the passcode (as iOS deletes
// items bound to the device passcode when it is removed).
func deleteAuthItems(tx *storage.Tx) error {
	for c := range Accessibility(numClasses) {
		if _, err := tx.DeleteClass(uint8(c) | authFlag); err != nil {
			return err
		}
	}
	return nil
}

// addPresenceCiphers adds to a passcode change's old and new ciphers,
// under the flagged class numbers, the old and new presence keys', so
// that reseal re-seals the items set with RequireAuthentication too.
func addPresenceCiphers(store string, current, fresh map[Accessibility][]byte, oldAEAD, newAEAD map[Accessibility]cipher.AEAD) bool {
	oldK, newK := current[WhenPasscodeSetThisDeviceOnly], fresh[WhenPasscodeSetThisDeviceOnly]
	if oldK == nil || newK == nil {
		return false
	}
	op, np := keys.PresenceKey(oldK, store), keys.PresenceKey(newK, store)
	defer keys.Wipe(op)
	defer keys.Wipe(np)
	for c := range Accessibility(numClasses) {
		flagged := Accessibility(uint8(c) | authFlag)
		o, oerr := record.NewAEAD(op)
		n, nerr := record.NewAEAD(np)
		if oerr != nil || nerr != nil {
			return false // a presence key is always 32 bytes: never here
		}
		oldAEAD[flagged], newAEAD[flagged] = o, n
	}
	return true
}

// authItemCount counts the items set with RequireAuthentication.
func authItemCount(counts map[uint8]int) int {
	n := 0
	for c := range Accessibility(numClasses) {
		n += counts[uint8(c)|authFlag]
	}
	return n
}
