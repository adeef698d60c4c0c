package keyring99

import "github.com/99designs/keyring"

// 99designs/keyring's types, re-exported so that code written against it
// compiles unchanged with this package imported under the name keyring.
type (
	// Item is a thing stored on the keyring.
	Item = keyring.Item
	// Metadata is the non-secret part of an Item and its modification time.
	Metadata = keyring.Metadata
	// Keyring is the uniform interface over keyrings; *Store implements it.
	Keyring = keyring.Keyring
	// Config is 99designs' configuration; Open uses ServiceName.
	Config = keyring.Config
	// BackendType names one of 99designs' backends.
	BackendType = keyring.BackendType
	// PromptFunc asks the user for a password.
	PromptFunc = keyring.PromptFunc
	// ArrayKeyring is 99designs' in-memory keyring for tests.
	ArrayKeyring = keyring.ArrayKeyring
)

// 99designs' backend names, for code that sets Config.AllowedBackends.
const (
	InvalidBackend       = keyring.InvalidBackend
	SecretServiceBackend = keyring.SecretServiceBackend
	KeychainBackend      = keyring.KeychainBackend
	KeyCtlBackend        = keyring.KeyCtlBackend
	KWalletBackend       = keyring.KWalletBackend
	WinCredBackend       = keyring.WinCredBackend
	FileBackend          = keyring.FileBackend
	PassBackend          = keyring.PassBackend
)

// 99designs' errors, the same values, so that err == keyring.ErrKeyNotFound
// holds whichever of the two packages a caller compares with.
var (
	ErrKeyNotFound              = keyring.ErrKeyNotFound
	ErrNoAvailImpl              = keyring.ErrNoAvailImpl
	ErrMetadataNeedsCredentials = keyring.ErrMetadataNeedsCredentials
	ErrMetadataNotSupported     = keyring.ErrMetadataNotSupported
)

// NewArrayKeyring returns 99designs' in-memory keyring, for tests.
func NewArrayKeyring(initial []Item) *ArrayKeyring { return keyring.NewArrayKeyring(initial) }

// FixedStringPrompt returns a PromptFunc that always answers value.
func FixedStringPrompt(value string) PromptFunc { return keyring.FixedStringPrompt(value) }

// TerminalPrompt asks for a password on the terminal.
func TerminalPrompt(prompt string) (string, error) { return keyring.TerminalPrompt(prompt) }
