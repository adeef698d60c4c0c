package securestore

import (
	"context"
	"errors"
	"fmt"

	"github.com/securestore-go/securestore/internal/keys"
	"github.com/securestore-go/securestore/protector"
)

// A passcode bound to the protector's hardware.
//
// When the store's protector implements protector.PasscodeBinder (the tpm
// protector does), setting or changing the passcode asks it to seal a
// fresh random secret under an auth value derived from the passcode key
// (keys.PasscodeAuth), and the passcode KEK then depends on that secret
// too (keys.BoundPasscodeKEK). The protector releases the secret only for
// the right auth, and its hardware counts every wrong one: a copy of the
// store, even on its own machine with the device key in hand, cannot test
// a guess without asking the TPM, whose dictionary-attack lockout no edit
// of the store's files resets. The store's own attempt record
// (storedb_attempt.go) still counts every attempt as well.
//
// The binding is the meta row passcode_binding: 0x01 ‖ u8 name length ‖
// the binder's protector name ‖ the protector's blob (docs/FORMAT.md). It
// names its protector so that it keeps working after the device key
// migrates to another protector. Its presence selects the v2 derivation;
// a store whose passcode was set without one keeps v1 until the passcode
// next changes. Deleting the row does not downgrade a store: its class
// keys are wrapped under the v2 KEK, which v1 does not give.

// metaPasscodeBinding is the meta row of the binding; absent without a
// passcode and for passcodes set with a protector that cannot bind.
const metaPasscodeBinding = "passcode_binding"

const bindingVersion = 1

// passcodeBinding is a decoded passcode_binding row.
type passcodeBinding struct {
	protector string // the protector that sealed the secret
	blob      []byte // its blob, opaque to the store
}

func (b *passcodeBinding) encode() []byte {
	out := []byte{bindingVersion, byte(len(b.protector))}
	out = append(out, b.protector...)
	return append(out, b.blob...)
}

func decodeBinding(raw []byte) (*passcodeBinding, error) {
	if len(raw) < 2 || raw[0] != bindingVersion || len(raw) < 2+int(raw[1]) || raw[1] == 0 {
		return nil, fmt.Errorf("%w: the passcode binding row is not version %d or is cut short", ErrCorrupt, bindingVersion)
	}
	n := 2 + int(raw[1])
	return &passcodeBinding{protector: string(raw[2:n]), blob: raw[n:]}, nil
}

// binder returns the protector called name as a PasscodeBinder, or nil if
// it cannot bind passcodes.
func binder(name string) (protector.PasscodeBinder, error) {
	p, err := defaultProtectors().Lookup(name)
	if err != nil {
		return nil, err
	}
	b, _ := p.(protector.PasscodeBinder)
	return b, nil
}

// newPasscodeKEK derives the KEK of a passcode being set from its key pk
// (which it wipes): bound to the store's protector when it can bind
// passcodes, the plain v1 derivation otherwise (binding is then nil). The
// caller wipes the KEK.
func (v *storeDB) newPasscodeKEK(ctx context.Context, pk []byte) (kek []byte, binding *passcodeBinding, err error) {
	defer keys.Wipe(pk)
	b, err := binder(v.protector)
	if err != nil {
		return nil, nil, err
	}
	if b == nil {
		return keys.PasscodeKEK(v.device, pk, v.id), nil, nil
	}
	auth := keys.PasscodeAuth(pk, v.id)
	defer keys.Wipe(auth)
	pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	defer cancel()
	blob, secret, err := b.BindPasscode(pctx, v.scope, auth)
	if err != nil {
		return nil, nil, fmt.Errorf("bind the passcode to the %q protector: %w", v.protector, err)
	}
	defer keys.Wipe(secret)
	return keys.BoundPasscodeKEK(v.device, pk, secret, v.id), &passcodeBinding{protector: v.protector, blob: blob}, nil
}

// attemptKEK derives the KEK of a passcode attempt against st from its key
// pk (which it wipes). With a binding, it first asks the binding's
// protector for the bound secret: a wrong passcode then fails there, with
// protector.ErrWrongAuth, counted by the hardware; a hardware lockout
// fails with protector.ErrLockedOut. The caller wipes the KEK.
func (v *storeDB) attemptKEK(ctx context.Context, st *passcodeState, pk []byte) ([]byte, error) {
	defer keys.Wipe(pk)
	if st.binding == nil {
		return keys.PasscodeKEK(v.device, pk, v.id), nil
	}
	b, err := binder(st.binding.protector)
	if err != nil {
		return nil, fmt.Errorf("the passcode is bound to the %q protector: %w", st.binding.protector, err)
	}
	if b == nil {
		return nil, fmt.Errorf("%w: the passcode is bound to the %q protector, which cannot unseal passcodes", ErrCorrupt, st.binding.protector)
	}
	auth := keys.PasscodeAuth(pk, v.id)
	defer keys.Wipe(auth)
	pctx, cancel := context.WithTimeout(ctx, ProtectorTimeout)
	defer cancel()
	secret, err := b.UnsealPasscode(pctx, v.scope, st.binding.blob, auth)
	if err != nil {
		return nil, err
	}
	defer keys.Wipe(secret)
	return keys.BoundPasscodeKEK(v.device, pk, secret, v.id), nil
}

// bindingError maps what a binder said about a passcode attempt to the
// store's errors, or returns nil when err is neither of its answers.
func bindingError(err error, wrong func() error) error {
	switch {
	case errors.Is(err, protector.ErrWrongAuth):
		return wrong()
	case errors.Is(err, protector.ErrLockedOut):
		// Not ErrWrongPasscode: the passcode was not checked, and may be
		// right. ErrLocked: the store stays locked, for now whatever the
		// passcode; the protector's error says when it recovers.
		return fmt.Errorf("%w until the protector's lockout ends, whatever the passcode (docs/SECURITY.md, \"A passcode on the TPM\"): %w", ErrLocked, err)
	}
	return nil
}
