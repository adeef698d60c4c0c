package tpm

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/go-tpm/tpm2"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/protector"
)

// The tpm protector implements protector.PasscodeBinder the way
// `systemd-cryptenroll --tpm2-with-pin` binds a PIN: the secret is the
// sensitive data of a sealed object whose auth value comes from the
// passcode, and which, unlike the device key's sealed object, counts
// towards the TPM's dictionary-attack protection (no noDA). Every wrong
// passcode is then a failed authorization that the TPM counts in its own
// non-volatile memory; after maxTries of them it refuses every passcode,
// right or wrong, until its recovery time has passed or its owner resets
// the count with the lockout hierarchy's auth (docs/SECURITY.md).
//
// The auth is proved in an HMAC session salted to the primary key: it
// never crosses the bus, and neither does anything from which it could be
// guessed offline; the secret comes back encrypted.
var _ protector.PasscodeBinder = tpmProtector{}

// passcodeTemplate is the public area of the object that holds a
// passcode's secret: sealedTemplate without noDA, so the TPM counts wrong
// auth values.
var passcodeTemplate = tpm2.TPMTPublic{
	Type:    tpm2.TPMAlgKeyedHash,
	NameAlg: tpm2.TPMAlgSHA256,
	ObjectAttributes: tpm2.TPMAObject{
		FixedTPM:     true,
		FixedParent:  true,
		UserWithAuth: true,
	},
}

// passcodeSecretSize is the size of the secret BindPasscode seals.
const passcodeSecretSize = 32

// BindPasscode implements protector.PasscodeBinder.
func (p tpmProtector) BindPasscode(ctx context.Context, scope protector.Scope, auth []byte) (blob, secret []byte, err error) {
	if len(auth) == 0 {
		return nil, nil, errors.New("tpm protector: BindPasscode needs a non-empty auth")
	}
	t, where, err := openTPM(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer t.Close()
	av := tpmAuthValue(auth)
	defer clear(av)
	// The sealed data is the secret followed by a digest that binds it to
	// the store, so that a blob moved to another store is refused after
	// the unseal instead of unlocking it.
	data := make([]byte, passcodeSecretSize, passcodeSecretSize+sha256.Size)
	defer clear(data)
	if _, err := rand.Read(data); err != nil {
		return nil, nil, err
	}
	data = append(data, passcodeBinding(p.Name(), scope.Store)...)
	var b *tpmBlob
	for _, parent := range []tpmParent{tpmParentECC, tpmParentRSA} {
		b, err = sealObject(t, parent, passcodeTemplate, av, data)
		var rc tpm2.TPMRC
		if err == nil || ctx.Err() != nil || !errors.As(err, &rc) || rc.IsWarning() {
			break // done, or a failure that another parent would not avoid
		}
	}
	if err != nil {
		return nil, nil, tpmErr(ctx, where, "seal the passcode's secret", err, protector.ErrUnavailable)
	}
	return b.encodePasscode(), bytes.Clone(data[:passcodeSecretSize]), nil
}

// UnsealPasscode implements protector.PasscodeBinder.
func (p tpmProtector) UnsealPasscode(ctx context.Context, scope protector.Scope, blob, auth []byte) ([]byte, error) {
	b, err := parsePasscodeBlob(blob)
	if err != nil {
		return nil, err
	}
	t, where, err := openTPM(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	av := tpmAuthValue(auth)
	defer clear(av)
	data, err := unsealObject(ctx, t, where, b, av, func(err error) error {
		switch {
		case errors.Is(err, tpm2.TPMRCAuthFail), errors.Is(err, tpm2.TPMRCBadAuth):
			return fmt.Errorf("tpm protector: the TPM at %s refused the passcode and counted the attempt: %w", where, protector.ErrWrongAuth)
		case errors.Is(err, tpm2.TPMRCLockout):
			return fmt.Errorf("tpm protector: the TPM at %s is in dictionary-attack lockout after too many wrong passcodes "+
				"and refuses every attempt until its recovery time has passed or its owner resets it: %w", where, protector.ErrLockedOut)
		}
		return tpmErr(ctx, where, "unseal the passcode's secret", err, protector.ErrKeyCorrupt)
	})
	if err != nil {
		return nil, err
	}
	defer clear(data)
	if len(data) != passcodeSecretSize+sha256.Size {
		return nil, fmt.Errorf("tpm protector: the passcode's sealed object holds %d bytes, not a secret: %w", len(data), protector.ErrKeyCorrupt)
	}
	if subtle.ConstantTimeCompare(data[passcodeSecretSize:], passcodeBinding(p.Name(), scope.Store)) != 1 {
		return nil, fmt.Errorf("tpm protector: the passcode's sealed object belongs to another store than %s: %w", scope.Store, protector.ErrKeyCorrupt)
	}
	return bytes.Clone(data[:passcodeSecretSize]), nil
}

// passcodeBinding is the digest sealed beside a passcode's secret that
// names the store it belongs to.
func passcodeBinding(name, store string) []byte {
	h := sha256.New()
	h.Write([]byte("securestore tpm passcode binding v1\x00"))
	h.Write(record.ProtectorAD(name, store))
	return h.Sum(nil)
}

// tpmAuthValue turns the store's auth into the sealed object's auth
// value: the first 16 bytes of SHA-256 over it, as 32 lowercase hex
// digits. Hashing fits any auth into the 32 bytes that a SHA-256 name
// algorithm allows; hex leaves no zero byte in it. That matters: the TPM
// drops trailing zero bytes of an auth value before it keys an HMAC with
// it (TPM 2.0 Part 1, 19.6.5), but go-tpm v0.9.8 cuts the key at its
// first zero byte, so a raw random auth with a zero byte inside would be
// refused, and counted as a wrong passcode. 128 bits are far more than
// the passcode behind it has. The caller wipes the result.
func tpmAuthValue(auth []byte) []byte {
	h := sha256.New()
	h.Write([]byte("securestore tpm auth value v1\x00"))
	h.Write(auth)
	sum := h.Sum(nil)
	defer clear(sum)
	av := make([]byte, 32)
	hex.Encode(av, sum[:16])
	return av
}
