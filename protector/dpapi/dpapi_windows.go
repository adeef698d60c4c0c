package dpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/securestore-go/securestore/internal/record"
	"github.com/securestore-go/securestore/protector"
)

// dpapiProtector keeps the device key with the Windows Data Protection API: a
// random key-encryption key (KEK) is protected by CryptProtectData for the
// current user, and only that user, logged on to this machine (or a domain
// that roams their master key), gets it back from CryptUnprotectData. It
// never shows UI.
//
// The store's identity goes in as DPAPI's "optional entropy", so a blob
// moved into another store's database does not unprotect there.
//
// The device key itself is sealed under the KEK (XChaCha20-Poly1305), with
// associated data that binds the protector, the store and a hash of the
// DPAPI blob. DPAPI alone does not authenticate every byte of its blob
// (Wine's accepts trailing bytes and some altered ones), so this layer is
// what makes any change to the stored blob an error (protector.ErrKeyCorrupt) rather
// than a silent success. docs/FORMAT.md gives the layout.
type dpapiProtector struct{}

// New returns the dpapi protector.
func New() protector.Protector { return dpapiProtector{} }

// Name implements protector.Protector.
func (dpapiProtector) Name() string { return "dpapi" }

// Available implements protector.Protector by protecting and unprotecting a
// throwaway value: DPAPI exists on every Windows, but fails where the
// user's profile (and master key) is not loaded, as for some services.
func (d dpapiProtector) Available(ctx context.Context) error {
	probe := []byte("securestore dpapi probe")
	scope := protector.Scope{Store: "probe"}
	blob, err := d.Wrap(ctx, scope, probe)
	if err == nil {
		var back []byte
		back, err = d.Unwrap(ctx, scope, blob)
		if err == nil && !bytes.Equal(back, probe) {
			err = errors.New("the probe did not round-trip")
		}
	}
	if err != nil {
		return fmt.Errorf("dpapi protector: %v: %w", err, protector.ErrUnavailable)
	}
	return nil
}

// Wrap implements protector.Protector.
func (d dpapiProtector) Wrap(ctx context.Context, scope protector.Scope, key []byte) ([]byte, error) {
	kek := make([]byte, dpapiKEKSize)
	defer clear(kek)
	if _, err := rand.Read(kek); err != nil {
		return nil, err
	}
	in := bytes.Clone(kek) // the call owns its copy (see protector.CallOS)
	protected, err := protector.CallOS(ctx, "CryptProtectData", func() ([]byte, error) {
		defer clear(in)
		return dpapiProtect(in, dpapiEntropy(scope))
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("dpapi protector: protect the device key of %s: %w", scope.Store, err)
	}
	sealed, err := protector.SealUnderKEK(kek, key, d.ad(scope, protected))
	if err != nil {
		return nil, err
	}
	return appendDPAPIBlob(protected, sealed), nil
}

// Unwrap implements protector.Protector.
func (d dpapiProtector) Unwrap(ctx context.Context, scope protector.Scope, blob []byte) ([]byte, error) {
	corrupt := func(why string) error {
		return fmt.Errorf("dpapi protector: the wrapped device key of %s %s: %w", scope.Store, why, protector.ErrKeyCorrupt)
	}
	protected, sealed, why := splitDPAPIBlob(blob)
	if why != "" {
		return nil, corrupt(why)
	}
	protected = bytes.Clone(protected) // the call owns its copy (see protector.CallOS)
	kek, err := protector.CallOS(ctx, "CryptUnprotectData", func() ([]byte, error) {
		return dpapiUnprotect(protected, dpapiEntropy(scope))
	}, func(k []byte) { clear(k) })
	switch {
	case err == nil:
	case dpapiMalformed(err):
		return nil, corrupt(fmt.Sprintf("does not unprotect (%v)", err))
	case errors.Is(err, windows.Errno(windows.NTE_BAD_KEY_STATE)):
		// The master key that protected the blob is not this user's: a
		// store copied from another user or machine, or a password reset
		// by an administrator (which discards the old master keys).
		return nil, fmt.Errorf("dpapi protector: the device key of %s was protected for another Windows user or machine (%v): %w",
			scope.Store, err, protector.ErrWrongMachine)
	default:
		return nil, fmt.Errorf("dpapi protector: unprotect the device key of %s: %w", scope.Store, err)
	}
	defer clear(kek)
	if len(kek) != dpapiKEKSize {
		return nil, corrupt("unprotects to a key of the wrong size")
	}
	key, err := protector.OpenUnderKEK(kek, sealed, d.ad(scope, protected))
	if err != nil {
		return nil, corrupt("does not authenticate")
	}
	return key, nil
}

// dpapiMalformed reports whether err is what CryptUnprotectData says about
// a blob that is not one it made with this entropy: altered bytes (which
// field was hit decides the code), or another store's blob. Our own
// arguments are fixed, so these codes can only come from the blob.
func dpapiMalformed(err error) bool {
	for _, code := range []windows.Errno{
		windows.ERROR_INVALID_DATA,
		windows.Errno(windows.NTE_BAD_DATA),
		windows.Errno(windows.NTE_BAD_SIGNATURE),
		windows.Errno(windows.NTE_BAD_LEN),
		windows.Errno(windows.NTE_BAD_VER),
		windows.Errno(windows.NTE_BAD_ALGID),
		windows.Errno(windows.NTE_BAD_FLAGS),
		windows.Errno(windows.NTE_BAD_HASH),
	} {
		if errors.Is(err, code) {
			return true
		}
	}
	return false
}

// ad binds the sealed device key to this protector, the store and the
// exact DPAPI bytes beside it.
func (d dpapiProtector) ad(scope protector.Scope, protected []byte) []byte {
	sum := sha256.Sum256(protected)
	return append(record.ProtectorAD(d.Name(), scope.Store), sum[:]...)
}

// Describe implements protector.Describer.
func (dpapiProtector) Describe(protector.Scope) protector.Description {
	return protector.Description{Verdict: "device key sealed by Windows DPAPI to your user account: protects a leaked database, " +
		"a copy to another machine or user, and a disk stolen without your Windows password; " +
		"not malware or anyone running as you"}
}

// dpapiEntropy binds a blob to one store: DPAPI mixes it into the key
// derivation, so the same bytes are needed to unprotect.
func dpapiEntropy(scope protector.Scope) []byte {
	sum := sha256.Sum256([]byte("securestore dpapi entropy v1\x00" + scope.Store))
	return sum[:]
}

// dpapiDescription is shown by DPAPI in its (never displayed) UI and
// stored in clear in the blob; it names the purpose, not the store.
var dpapiDescription, _ = windows.UTF16PtrFromString("securestore device key")

func dpapiProtect(data, entropy []byte) ([]byte, error) {
	in := windows.DataBlob{Size: uint32(len(data)), Data: &data[0]}
	ent := windows.DataBlob{Size: uint32(len(entropy)), Data: &entropy[0]}
	var out windows.DataBlob
	err := windows.CryptProtectData(&in, dpapiDescription, &ent, 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out)
	if err != nil {
		return nil, err
	}
	defer windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return append([]byte(nil), unsafe.Slice(out.Data, out.Size)...), nil
}

func dpapiUnprotect(blob, entropy []byte) ([]byte, error) {
	in := windows.DataBlob{Size: uint32(len(blob)), Data: &blob[0]}
	ent := windows.DataBlob{Size: uint32(len(entropy)), Data: &entropy[0]}
	var out windows.DataBlob
	err := windows.CryptUnprotectData(&in, nil, &ent, 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out)
	if err != nil {
		return nil, err
	}
	plain := unsafe.Slice(out.Data, out.Size)
	defer func() {
		clear(plain) // the key, in memory that LocalFree hands back unwiped
		windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	}()
	return append([]byte(nil), plain...), nil
}
