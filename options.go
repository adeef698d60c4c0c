package securestore

import (
	"fmt"
	"strings"
	"time"
)

// DefaultService is the service of an item set without
// Options.KeychainService.
const DefaultService = "app"

// Options are the per-call options of Expo's SecureStore API. A nil *Options means
// every default: service "app", class WhenUnlocked, the app's own store.
type Options struct {
	// KeychainService is part of the item's identity: an item set with a
	// service is found only under that service. "" means DefaultService.
	KeychainService string
	// KeychainAccessible says when the item may be read (see
	// Accessibility). Only SetItem uses it: the other calls find the item
	// whatever its class.
	KeychainAccessible Accessibility
	// AccessGroup selects a store shared by the apps that list it in
	// Config.AccessGroups. "" means the app's own store.
	AccessGroup string
	// Synchronizable marks the item for the store's sync group (package
	// syncgroup, docs/SYNC.md), like Apple's kSecAttrSynchronizable: it is
	// sealed under the group key and follows the user to every device of
	// the group. Off by default; only synchronizable items ever leave the
	// device. A ThisDeviceOnly class with Synchronizable is
	// ErrInvalidOption. Only SetItem uses it; setting a synchronizable item
	// again without it takes the item out of the group (the other devices
	// delete their copy) and keeps it here as a local item. Reads are
	// local whatever the flag.
	Synchronizable bool
	// RequireAuthentication (Expo SDK 43+, SetItem): the item can be read
	// only after the user proves presence by typing the passcode at the
	// agent's pinentry prompt. It needs a passcode (else ErrNoPasscode)
	// and a running agent (else ErrAuthenticationRequired); reading such
	// an item always needs the agent, whatever the reader passes here.
	// Its key is this device's: with Synchronizable, or over an item that
	// is synchronizable, it is ErrInvalidOption. See auth.go and
	// docs/SECURITY.md.
	RequireAuthentication bool
	// AuthenticationPrompt (Expo SDK 43+) is the text the prompt shows
	// when this call needs the user's presence; "" shows a default text
	// naming the store and the item.
	AuthenticationPrompt string
	// AuthenticationReuseWindow lets a read reuse a proof of presence the
	// user gave this long ago at most, without a new prompt, as iOS's
	// LAContext.touchIDAuthenticationAllowableReuseDuration does. 0 (the
	// default) asks every time; longer than MaxAuthenticationReuseWindow
	// (5 minutes) is cut to it; negative is ErrInvalidOption.
	AuthenticationReuseWindow time.Duration
}

// Accessibility is Expo's keychainAccessible: when an item can be read.
// The zero value is WhenUnlocked, Expo's SecureStore default.
//
// Until a passcode is set the store counts as unlocked, so every class but
// WhenPasscodeSetThisDeviceOnly can be read and written; that one needs a
// passcode and fails with ErrNoPasscode. Classes ending in ThisDeviceOnly
// never leave this device in a backup.
type Accessibility int

// The seven classes, in the order of Expo's SecureStore SDK 38 documentation. Their numbers are stored on
// disk (docs/FORMAT.md) and never change.
const (
	WhenUnlocked                   Accessibility = iota // readable while the store is unlocked (default)
	AfterFirstUnlock                                    // readable once unlocked, until the Store is closed
	Always                                              // always readable; the least protected
	WhenUnlockedThisDeviceOnly                          // WhenUnlocked, never migrated to another device
	WhenPasscodeSetThisDeviceOnly                       // needs a passcode; deleted when it is removed
	AfterFirstUnlockThisDeviceOnly                      // AfterFirstUnlock, never migrated
	AlwaysThisDeviceOnly                                // Always, never migrated
	numClasses
)

// camelWords puts sep at the word boundaries of a Go name, where a lower
// case letter meets an upper case one ("WhenUnlocked", '_' →
// "When_Unlocked"). A loop rather than a regexp: a regexp compiled at
// package initialisation is paid by every process, the securestore
// command's included, whether it formats a class name or not.
func camelWords(name string, sep byte) string {
	b := make([]byte, 0, len(name)+8)
	for i := 0; i < len(name); i++ {
		if i > 0 && 'a' <= name[i-1] && name[i-1] <= 'z' && 'A' <= name[i] && name[i] <= 'Z' {
			b = append(b, sep)
		}
		b = append(b, name[i])
	}
	return string(b)
}

var accessibilityNames = [numClasses]string{
	"WhenUnlocked",
	"AfterFirstUnlock",
	"Always",
	"WhenUnlockedThisDeviceOnly",
	"WhenPasscodeSetThisDeviceOnly",
	"AfterFirstUnlockThisDeviceOnly",
	"AlwaysThisDeviceOnly",
}

func (a Accessibility) valid() bool { return a >= 0 && a < numClasses }

// String returns the constant's Go name, e.g. "WhenUnlocked".
func (a Accessibility) String() string {
	if !a.valid() {
		return fmt.Sprintf("Accessibility(%d)", int(a))
	}
	return accessibilityNames[a]
}

// Kebab returns the class name in lower kebab case, e.g.
// "after-first-unlock": the spelling of the securestore command's
// --accessible flag, which ParseAccessibility also accepts.
func (a Accessibility) Kebab() string {
	return strings.ToLower(camelWords(a.String(), '-'))
}

// ThisDeviceOnly reports whether items of this class stay on this device
// (are never carried by a backup to another one).
func (a Accessibility) ThisDeviceOnly() bool { return strings.HasSuffix(a.String(), "ThisDeviceOnly") }

// ParseAccessibility parses a class name in any of its three spellings:
// the Go name ("AfterFirstUnlock"), Expo's constant
// ("AFTER_FIRST_UNLOCK") or the CLI's ("after-first-unlock"). Case does
// not matter.
func ParseAccessibility(s string) (Accessibility, error) {
	for a, name := range accessibilityNames {
		words := strings.ToLower(camelWords(name, '_'))
		if strings.EqualFold(s, name) || strings.EqualFold(s, words) || strings.EqualFold(s, strings.ReplaceAll(words, "_", "-")) {
			return Accessibility(a), nil
		}
	}
	return 0, fmt.Errorf("securestore: %w: unknown accessibility %q (want one of %s)",
		ErrInvalidOption, s, strings.Join(accessibilityNames[:], ", "))
}
