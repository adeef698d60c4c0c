package tpm

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/google/go-tpm/tpm2"
	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/protector"
)

// tpmProtector seals each store's device key to the machine's TPM 2.0.
//
// Wrap draws a random 32-byte key-encryption key, has the TPM seal it
// under a primary key of the owner hierarchy (re-created from the TPM's
// owner seed on every use, so nothing is left in the TPM), and returns the
// sealed object together with the device key sealed under that key and
// bound to the store (tpm_blob.go). The store keeps that blob in its own
// database; Unwrap has the TPM load and unseal it. Parameter encryption,
// salted to the primary key, keeps the key-encryption key off the bus
// between the CPU and the TPM.
//
// It defends against anyone who has the store's files without this
// machine's TPM: a copied disk, a backup, a stolen database. It does not
// defend against a process on this machine that can open the TPM device
// and read the store: the sealed object has no policy or password of its
// own (docs/SECURITY.md).
//
// $SECURESTORE_TPM chooses the TPM (tpm_transport.go).
type tpmProtector struct{}

// New returns the tpm protector.
func New() protector.Protector { return tpmProtector{} }

// Name implements protector.Protector.
func (tpmProtector) Name() string { return "tpm" }

// Available implements protector.Protector: the TPM opens and answers a
// TPM2_GetCapability within the deadline.
func (tpmProtector) Available(ctx context.Context) error {
	t, where, err := openTPM(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	// TPMA_PERMANENT says whether the owner hierarchy has a password.
	// This protector uses the owner hierarchy without one and never asks
	// for it, so such a TPM is unavailable here, and auto goes on to the
	// next protector instead of picking one that Wrap would then refuse.
	rsp, err := tpm2.GetCapability{
		Capability:    tpm2.TPMCapTPMProperties,
		Property:      uint32(tpm2.TPMPTPermanent),
		PropertyCount: 1,
	}.Execute(t)
	if err != nil {
		return tpmErr(ctx, where, "ask", err, protector.ErrUnavailable)
	}
	props, err := rsp.CapabilityData.Data.TPMProperties()
	if err != nil || len(props.TPMProperty) == 0 || props.TPMProperty[0].Property != tpm2.TPMPTPermanent {
		return fmt.Errorf("tpm protector: %s does not report TPM_PT_PERMANENT: %w", where, protector.ErrUnavailable)
	}
	const ownerAuthSet = 1 << 0 // TPMA_PERMANENT bit 0
	if props.TPMProperty[0].Value&ownerAuthSet != 0 {
		return fmt.Errorf("tpm protector: the owner hierarchy of %s has a password, which this protector does not use: %w", where, protector.ErrUnavailable)
	}
	return nil
}

// Wrap implements protector.Protector.
func (p tpmProtector) Wrap(ctx context.Context, scope protector.Scope, key []byte) ([]byte, error) {
	t, where, err := openTPM(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	kek := make([]byte, 32)
	defer clear(kek)
	if _, err := rand.Read(kek); err != nil {
		return nil, err
	}
	var blob *tpmBlob
	for _, parent := range []tpmParent{tpmParentECC, tpmParentRSA} {
		blob, err = sealTPM(t, parent, kek)
		var rc tpm2.TPMRC
		if err == nil || ctx.Err() != nil || !errors.As(err, &rc) || rc.IsWarning() {
			break // done, or a failure that another parent would not avoid
		}
	}
	if err != nil {
		return nil, tpmErr(ctx, where, "seal a key", err, protector.ErrUnavailable)
	}
	if blob.sealed, err = protector.SealUnderKEK(kek, key, record.ProtectorAD(p.Name(), scope.Store)); err != nil {
		return nil, err
	}
	return blob.encode(), nil
}

// Unwrap implements protector.Protector.
func (p tpmProtector) Unwrap(ctx context.Context, scope protector.Scope, blob []byte) ([]byte, error) {
	b, err := parseTPMBlob(blob)
	if err != nil {
		return nil, err
	}
	t, where, err := openTPM(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	kek, err := unsealTPM(ctx, t, where, b)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	key, err := protector.OpenUnderKEK(kek, b.sealed, record.ProtectorAD(p.Name(), scope.Store))
	if err != nil {
		return nil, fmt.Errorf("tpm protector: the TPM's sealed key does not open the device key of %s "+
			"(the blob was altered, or belongs to another store): %w", scope.Store, protector.ErrKeyCorrupt)
	}
	return key, nil
}

// sealedTemplate is the public area of a sealed data object: it never
// leaves this TPM (FixedTPM, FixedParent), is used with its (empty)
// password rather than a policy, and does not count towards dictionary
// attack lockout, since a wrong guess is not possible without a password.
var sealedTemplate = tpm2.TPMTPublic{
	Type:    tpm2.TPMAlgKeyedHash,
	NameAlg: tpm2.TPMAlgSHA256,
	ObjectAttributes: tpm2.TPMAObject{
		FixedTPM:     true,
		FixedParent:  true,
		UserWithAuth: true,
		NoDA:         true,
	},
}

// primary re-creates the primary key that parent names: the same key
// every time, from the owner hierarchy's seed, until the TPM is cleared.
// The caller flushes it.
func primary(t tpmConn, parent tpmParent) (*tpm2.CreatePrimaryResponse, *tpm2.TPMTPublic, error) {
	template := tpm2.ECCSRKTemplate
	if parent == tpmParentRSA {
		template = tpm2.RSASRKTemplate
	}
	rsp, err := tpm2.CreatePrimary{
		PrimaryHandle: tpm2.TPMRHOwner,
		InPublic:      tpm2.New2B(template),
	}.Execute(t)
	if err != nil {
		return nil, nil, err
	}
	pub, err := rsp.OutPublic.Contents()
	if err != nil {
		flush(t, rsp.ObjectHandle)
		return nil, nil, err
	}
	return rsp, pub, nil
}

// encryptedSession authorizes a use of the primary key's children and
// encrypts the command's first parameter (dir EncryptIn: the data to
// seal) or the response's (EncryptOut: the unsealed data), with a session
// salted to the primary key, so that the key travels encrypted.
func encryptedSession(srk *tpm2.CreatePrimaryResponse, pub *tpm2.TPMTPublic, dir tpm2.AuthOption) tpm2.Session {
	return tpm2.HMAC(tpm2.TPMAlgSHA256, 16, dir, tpm2.Salted(srk.ObjectHandle, *pub))
}

// sealTPM seals data under parent and returns the sealed object.
func sealTPM(t tpmConn, parent tpmParent, data []byte) (*tpmBlob, error) {
	return sealObject(t, parent, sealedTemplate, nil, data)
}

// sealObject has the TPM create a sealed data object under parent, with
// the public area template, the auth value auth (nil for none) and data
// as its sensitive data. Both travel encrypted (EncryptIn: inSensitive
// is the command's first parameter).
func sealObject(t tpmConn, parent tpmParent, template tpm2.TPMTPublic, auth, data []byte) (*tpmBlob, error) {
	srk, pub, err := primary(t, parent)
	if err != nil {
		return nil, err
	}
	defer flush(t, srk.ObjectHandle)
	rsp, err := tpm2.Create{
		ParentHandle: tpm2.AuthHandle{
			Handle: srk.ObjectHandle,
			Name:   srk.Name,
			Auth:   encryptedSession(srk, pub, tpm2.AESEncryption(128, tpm2.EncryptIn)),
		},
		InSensitive: tpm2.TPM2BSensitiveCreate{
			Sensitive: &tpm2.TPMSSensitiveCreate{
				UserAuth: tpm2.TPM2BAuth{Buffer: auth},
				Data:     tpm2.NewTPMUSensitiveCreate(&tpm2.TPM2BSensitiveData{Buffer: data}),
			},
		},
		InPublic: tpm2.New2B(template),
	}.Execute(t)
	if err != nil {
		return nil, err
	}
	return &tpmBlob{
		parent:  parent,
		public:  tpm2.Marshal(rsp.OutPublic),
		private: tpm2.Marshal(rsp.OutPrivate),
	}, nil
}

// unsealTPM loads the sealed object of b under its parent and unseals it.
// A sealed object the TPM refuses to load or unseal (altered, made by
// another TPM, or by this one before it was cleared) is protector.ErrKeyCorrupt.
func unsealTPM(ctx context.Context, t tpmConn, where string, b *tpmBlob) ([]byte, error) {
	kek, err := unsealObject(ctx, t, where, b, nil, func(err error) error {
		return tpmErr(ctx, where, "unseal the sealed key", err, protector.ErrKeyCorrupt)
	})
	if err != nil {
		return nil, err
	}
	if len(kek) != 32 {
		clear(kek)
		return nil, fmt.Errorf("tpm protector: the sealed object holds %d bytes, not a key: %w", len(kek), protector.ErrKeyCorrupt)
	}
	return kek, nil
}

// unsealObject loads the sealed object of b under its parent and unseals
// it with auth (nil for none), in a session salted to the parent that
// proves auth without sending it and encrypts the unsealed data on its way
// back (EncryptOut). An object the TPM refuses to load is
// protector.ErrKeyCorrupt; a refused TPM2_Unseal is handed to unsealErr,
// which tells the caller's cases apart.
func unsealObject(ctx context.Context, t tpmConn, where string, b *tpmBlob, auth []byte, unsealErr func(error) error) ([]byte, error) {
	public, err := tpm2.Unmarshal[tpm2.TPM2BPublic](b.public)
	if err != nil {
		return nil, fmt.Errorf("tpm protector: the sealed object's public area does not parse: %w", protector.ErrKeyCorrupt)
	}
	private, err := tpm2.Unmarshal[tpm2.TPM2BPrivate](b.private)
	if err != nil {
		return nil, fmt.Errorf("tpm protector: the sealed object's private area does not parse: %w", protector.ErrKeyCorrupt)
	}
	srk, pub, err := primary(t, b.parent)
	if err != nil {
		return nil, tpmErr(ctx, where, "re-create the primary key", err, protector.ErrUnavailable)
	}
	defer flush(t, srk.ObjectHandle)
	loaded, err := tpm2.Load{
		ParentHandle: tpm2.AuthHandle{Handle: srk.ObjectHandle, Name: srk.Name, Auth: tpm2.PasswordAuth(nil)},
		InPrivate:    *private,
		InPublic:     *public,
	}.Execute(t)
	if err != nil {
		return nil, tpmErr(ctx, where, "load the sealed key (altered, sealed by another TPM, or the TPM was cleared since)",
			err, protector.ErrKeyCorrupt)
	}
	defer flush(t, loaded.ObjectHandle)
	rsp, err := tpm2.Unseal{
		ItemHandle: tpm2.AuthHandle{
			Handle: loaded.ObjectHandle,
			Name:   loaded.Name,
			Auth: tpm2.HMAC(tpm2.TPMAlgSHA256, 16, tpm2.Auth(auth),
				tpm2.AESEncryption(128, tpm2.EncryptOut), tpm2.Salted(srk.ObjectHandle, *pub)),
		},
	}.Execute(t)
	if err != nil {
		return nil, unsealErr(err)
	}
	return rsp.OutData.Buffer, nil
}

// flush unloads a transient object. It is best effort: /dev/tpmrm0 flushes
// what a connection leaves anyway; a simulator without a resource manager
// keeps it until restarted.
func flush(t tpmConn, h tpm2.TPMHandle) {
	tpm2.FlushContext{FlushHandle: h}.Execute(t)
}

// tpmErr reports a failed TPM command. When the TPM itself refused the
// command's inputs (a format-0 or format-1 response code), the error
// wraps refused; a warning (busy, out of memory, in lockout) or a failure
// to reach the TPM wraps protector.ErrUnavailable.
func tpmErr(ctx context.Context, where, what string, err error, refused error) error {
	var rc tpm2.TPMRC
	if errors.As(err, &rc) && !rc.IsWarning() {
		return fmt.Errorf("tpm protector: %s: the TPM at %s refused: %v: %w", what, where, err, refused)
	}
	return tpmTransportErr(ctx, where, what, err)
}
