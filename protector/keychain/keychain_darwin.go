package keychain

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/securestore-go/securestore/protector"
)

// keychainProtector keeps the device key in the user's macOS keychain, as a generic
// password item (kSecClassGenericPassword) with service "securestore" and
// an account made of the store's identity and a random id, which the blob
// holds. Each Wrap adds a new item, so stores of the same app in two
// directories, and the old and new key of a migration, never share one.
//
// It calls the Security framework through github.com/ebitengine/purego,
// without cgo, so a darwin binary cross-compiled elsewhere has it. Every
// call runs through protector.CallOS and so has a deadline: a keychain that waits on
// a dialog nobody answers fails Open instead of hanging it.
//
// UNTESTED ON REAL macOS: CI cross-compiles and vets it for darwin/amd64
// and darwin/arm64, but no test has run it against a real keychain yet
// (docs/SECURITY.md says so too).
type keychainProtector struct{}

// New returns the keychain protector.
func New() protector.Protector { return keychainProtector{} }

// Name implements protector.Protector.
func (keychainProtector) Name() string { return "keychain" }

// KeychainService is the service attribute of every item the Keychain
// protector adds.
const KeychainService = "securestore"

// keychainAccount is the account of item id of scope's store: "STORE/ID"
// with ID in hex. The blob (keychain_blob.go) holds the id.
func keychainAccount(scope protector.Scope, id []byte) string {
	return scope.Store + "/" + hex.EncodeToString(id)
}

// Available implements protector.Protector: it looks up an item that does not
// exist, which succeeds with "not found" exactly when the keychain can be
// searched (it cannot, say, in an SSH session with the keychain locked).
func (keychainProtector) Available(ctx context.Context) error {
	sec, err := loadSecurity()
	if err != nil {
		return fmt.Errorf("keychain protector: %v: %w", err, protector.ErrUnavailable)
	}
	id := make([]byte, keychainIDSize)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("keychain protector: %v: %w", err, protector.ErrUnavailable)
	}
	_, err = protector.CallOS(ctx, "SecItemCopyMatching", func() ([]byte, error) {
		return sec.copyPassword(keychainAccount(protector.Scope{Store: "probe"}, id))
	}, func(k []byte) { clear(k) })
	if errors.Is(err, errSecItemNotFound) {
		return nil
	}
	if err == nil {
		err = errors.New("a random probe item exists")
	}
	return fmt.Errorf("keychain protector: %v: %w", err, protector.ErrUnavailable)
}

// Wrap implements protector.Protector: it adds the key as a new keychain item.
func (keychainProtector) Wrap(ctx context.Context, scope protector.Scope, key []byte) ([]byte, error) {
	sec, err := loadSecurity()
	if err != nil {
		return nil, fmt.Errorf("keychain protector: %w", err)
	}
	id := make([]byte, keychainIDSize)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	account := keychainAccount(scope, id)
	label := "securestore device key of " + scope.Store + " in " + scope.Dir
	in := bytes.Clone(key) // the call owns its copy (see protector.CallOS)
	_, err = protector.CallOS(ctx, "SecItemAdd", func() (struct{}, error) {
		defer clear(in)
		return struct{}{}, sec.addPassword(account, label, in)
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("keychain protector: add the device key of %s: %w", scope.Store, err)
	}
	return appendKeychainBlob(id), nil
}

// Unwrap implements protector.Protector: it reads the item the blob names.
func (keychainProtector) Unwrap(ctx context.Context, scope protector.Scope, blob []byte) ([]byte, error) {
	id, err := keychainID(scope, blob)
	if err != nil {
		return nil, err
	}
	sec, err := loadSecurity()
	if err != nil {
		return nil, fmt.Errorf("keychain protector: %w", err)
	}
	key, err := protector.CallOS(ctx, "SecItemCopyMatching", func() ([]byte, error) {
		return sec.copyPassword(keychainAccount(scope, id))
	}, func(k []byte) { clear(k) })
	if errors.Is(err, errSecItemNotFound) {
		return nil, fmt.Errorf("keychain protector: the keychain has no item %q for service %q: %w",
			keychainAccount(scope, id), KeychainService, protector.ErrKeyMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("keychain protector: read the device key of %s: %w", scope.Store, err)
	}
	return key, nil
}

// Remove implements protector.Remover: it deletes the item the blob names.
func (keychainProtector) Remove(ctx context.Context, scope protector.Scope, blob []byte) error {
	id, err := keychainID(scope, blob)
	if err != nil {
		return err
	}
	sec, err := loadSecurity()
	if err != nil {
		return fmt.Errorf("keychain protector: %w", err)
	}
	_, err = protector.CallOS(ctx, "SecItemDelete", func() (struct{}, error) {
		return struct{}{}, sec.deletePassword(keychainAccount(scope, id))
	}, nil)
	if err != nil && !errors.Is(err, errSecItemNotFound) {
		return fmt.Errorf("keychain protector: delete the old device key item of %s: %w", scope.Store, err)
	}
	return nil
}

// Describe implements protector.Describer.
func (keychainProtector) Describe(protector.Scope) protector.Description {
	return protector.Description{Verdict: "device key in your login keychain: protects a leaked database, a copy to another " +
		"machine or user, and a disk stolen without your login password; not software running as you that the " +
		"keychain lets read it (untested on real macOS)"}
}

func keychainID(scope protector.Scope, blob []byte) ([]byte, error) {
	id, ok := splitKeychainBlob(blob)
	if !ok {
		return nil, fmt.Errorf("keychain protector: the wrapped device key of %s is not a keychain reference: %w",
			scope.Store, protector.ErrKeyCorrupt)
	}
	return id, nil
}

// The Security framework and CoreFoundation, loaded on first use.

// osStatus is a Security framework result code.
type osStatus int32

const (
	errSecItemNotFound          osStatus = -25300
	errSecDuplicateItem         osStatus = -25299
	errSecInteractionNotAllowed osStatus = -25308
	errSecAuthFailed            osStatus = -25293
	errSecUserCanceled          osStatus = -128
)

func (s osStatus) Error() string {
	switch s {
	case errSecItemNotFound:
		return "the item is not in the keychain (errSecItemNotFound)"
	case errSecDuplicateItem:
		return "the item already exists (errSecDuplicateItem)"
	case errSecInteractionNotAllowed:
		return "the keychain is locked and cannot ask to unlock here (errSecInteractionNotAllowed)"
	case errSecAuthFailed:
		return "keychain authorization failed (errSecAuthFailed)"
	case errSecUserCanceled:
		return "the keychain dialog was canceled (errSecUserCanceled)"
	}
	return fmt.Sprintf("Security framework error OSStatus %d", int32(s))
}

// security holds the functions and constants we use. CF objects are
// uintptr: they live in C memory and Go never dereferences them.
type security struct {
	// CoreFoundation
	CFRelease                 func(cf uintptr)
	CFStringCreateWithCString func(alloc uintptr, s string, encoding uint32) uintptr
	CFDataCreate              func(alloc uintptr, bytes []byte, length int) uintptr
	CFDataGetLength           func(data uintptr) int
	CFDataGetBytePtr          func(data uintptr) *byte
	CFDictionaryCreate        func(alloc uintptr, keys, values []uintptr, n int, keyCallBacks, valueCallBacks uintptr) uintptr
	// Security
	SecItemAdd          func(attributes uintptr, result *uintptr) osStatus
	SecItemCopyMatching func(query uintptr, result *uintptr) osStatus
	SecItemDelete       func(query uintptr) osStatus

	// Addresses of the CFDictionary callback structs (passed by address).
	keyCallBacks, valueCallBacks uintptr
	// Values of the CFTypeRef constants (read from their addresses).
	cfTrue, class, classGenericPassword, attrService, attrAccount, attrLabel,
	valueData, returnData, matchLimit, matchLimitOne uintptr
}

const kCFStringEncodingUTF8 = 0x08000100

var (
	securityOnce sync.Once
	securityLib  *security
	securityErr  error
)

func loadSecurity() (*security, error) {
	securityOnce.Do(func() { securityLib, securityErr = openSecurity() })
	return securityLib, securityErr
}

func openSecurity() (*security, error) {
	cf, err := purego.Dlopen("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation", purego.RTLD_LAZY|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load CoreFoundation: %w", err)
	}
	sf, err := purego.Dlopen("/System/Library/Frameworks/Security.framework/Security", purego.RTLD_LAZY|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load the Security framework: %w", err)
	}
	s := &security{}
	// Look every symbol up first, so that a missing one is an error
	// rather than RegisterLibFunc's panic.
	fns := []struct {
		lib  uintptr
		name string
		fn   any
	}{
		{cf, "CFRelease", &s.CFRelease},
		{cf, "CFStringCreateWithCString", &s.CFStringCreateWithCString},
		{cf, "CFDataCreate", &s.CFDataCreate},
		{cf, "CFDataGetLength", &s.CFDataGetLength},
		{cf, "CFDataGetBytePtr", &s.CFDataGetBytePtr},
		{cf, "CFDictionaryCreate", &s.CFDictionaryCreate},
		{sf, "SecItemAdd", &s.SecItemAdd},
		{sf, "SecItemCopyMatching", &s.SecItemCopyMatching},
		{sf, "SecItemDelete", &s.SecItemDelete},
	}
	for _, f := range fns {
		addr, err := purego.Dlsym(f.lib, f.name)
		if err != nil {
			return nil, fmt.Errorf("find %s: %w", f.name, err)
		}
		purego.RegisterFunc(f.fn, addr)
	}
	// Struct constants are passed by address; CFTypeRef constants are
	// pointer variables whose value we need.
	addrs := []struct {
		lib  uintptr
		name string
		dst  *uintptr
	}{
		{cf, "kCFTypeDictionaryKeyCallBacks", &s.keyCallBacks},
		{cf, "kCFTypeDictionaryValueCallBacks", &s.valueCallBacks},
	}
	for _, a := range addrs {
		addr, err := purego.Dlsym(a.lib, a.name)
		if err != nil {
			return nil, fmt.Errorf("find %s: %w", a.name, err)
		}
		*a.dst = addr
	}
	values := []struct {
		lib  uintptr
		name string
		dst  *uintptr
	}{
		{cf, "kCFBooleanTrue", &s.cfTrue},
		{sf, "kSecClass", &s.class},
		{sf, "kSecClassGenericPassword", &s.classGenericPassword},
		{sf, "kSecAttrService", &s.attrService},
		{sf, "kSecAttrAccount", &s.attrAccount},
		{sf, "kSecAttrLabel", &s.attrLabel},
		{sf, "kSecValueData", &s.valueData},
		{sf, "kSecReturnData", &s.returnData},
		{sf, "kSecMatchLimit", &s.matchLimit},
		{sf, "kSecMatchLimitOne", &s.matchLimitOne},
	}
	for _, v := range values {
		addr, err := purego.Dlsym(v.lib, v.name)
		if err != nil {
			return nil, fmt.Errorf("find %s: %w", v.name, err)
		}
		// addr is the address of a CFTypeRef variable in the framework's
		// data; read the pointer stored there. (Written this way, not as
		// unsafe.Pointer(addr), because the value is C memory that Go's
		// checks must not mistake for a Go pointer conversion.)
		*v.dst = **(**uintptr)(unsafe.Pointer(&addr))
	}
	return s, nil
}

// cfObjects collects the CF objects one call creates, to release them all.
type cfObjects struct {
	s    *security
	refs []uintptr
}

func (o *cfObjects) string(v string) uintptr {
	r := o.s.CFStringCreateWithCString(0, v, kCFStringEncodingUTF8)
	o.refs = append(o.refs, r)
	return r
}

func (o *cfObjects) data(b []byte) uintptr {
	r := o.s.CFDataCreate(0, b, len(b))
	o.refs = append(o.refs, r)
	return r
}

// dict builds a CFDictionary from key, value pairs.
func (o *cfObjects) dict(kv ...uintptr) (uintptr, error) {
	keys, values := make([]uintptr, 0, len(kv)/2), make([]uintptr, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		if kv[i] == 0 || kv[i+1] == 0 {
			return 0, errors.New("CoreFoundation could not create an object")
		}
		keys, values = append(keys, kv[i]), append(values, kv[i+1])
	}
	r := o.s.CFDictionaryCreate(0, keys, values, len(keys), o.s.keyCallBacks, o.s.valueCallBacks)
	if r == 0 {
		return 0, errors.New("CoreFoundation could not create a dictionary")
	}
	o.refs = append(o.refs, r)
	return r, nil
}

func (o *cfObjects) release() {
	for _, r := range o.refs {
		if r != 0 {
			o.s.CFRelease(r)
		}
	}
}

// item is the query that names one item of ours.
func (s *security) item(o *cfObjects, account string, extra ...uintptr) (uintptr, error) {
	return o.dict(append([]uintptr{
		s.class, s.classGenericPassword,
		s.attrService, o.string(KeychainService),
		s.attrAccount, o.string(account),
	}, extra...)...)
}

func (s *security) addPassword(account, label string, key []byte) error {
	o := &cfObjects{s: s}
	defer o.release()
	attrs, err := s.item(o, account, s.attrLabel, o.string(label), s.valueData, o.data(key))
	if err != nil {
		return err
	}
	if st := s.SecItemAdd(attrs, nil); st != 0 {
		return st
	}
	return nil
}

func (s *security) copyPassword(account string) ([]byte, error) {
	o := &cfObjects{s: s}
	defer o.release()
	query, err := s.item(o, account, s.returnData, s.cfTrue, s.matchLimit, s.matchLimitOne)
	if err != nil {
		return nil, err
	}
	var result uintptr
	if st := s.SecItemCopyMatching(query, &result); st != 0 {
		return nil, st
	}
	if result == 0 {
		return nil, errors.New("SecItemCopyMatching returned no data")
	}
	o.refs = append(o.refs, result)
	n := s.CFDataGetLength(result)
	p := s.CFDataGetBytePtr(result)
	if n <= 0 || p == nil {
		return nil, errors.New("the keychain item is empty")
	}
	return bytes.Clone(unsafe.Slice(p, n)), nil
}

func (s *security) deletePassword(account string) error {
	o := &cfObjects{s: s}
	defer o.release()
	query, err := s.item(o, account)
	if err != nil {
		return err
	}
	if st := s.SecItemDelete(query); st != 0 {
		return st
	}
	return nil
}
