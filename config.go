package securestore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/securestore-go/securestore/protector"
)

// Config says which store to open and how.
type Config struct {
	// App is the application's identity, e.g. "com.example.notes"
	// (required; the key rule applies). Each app has its own store and
	// sees no other app's items.
	App string
	// Dir holds the stores. "" means $SECURESTORE_DIR, else DefaultDir().
	Dir string
	// Protector names what protects the device key: "file", or "auto"
	// for the best available. "" means $SECURESTORE_PROTECTOR, else
	// "auto". An existing store keeps the protector it was created with;
	// naming another one is an error.
	Protector string
	// AccessGroups lists the shared stores this app may use through
	// Options.AccessGroup.
	AccessGroups []string
	// MaxValueBytes is the largest value SetItem accepts, in bytes. 0 means
	// DefaultMaxValueBytes, Expo's SecureStore limit; larger is an explicit opt-in,
	// up to MaxValueBytesLimit.
	MaxValueBytes int
	// NoCreate opens only stores that exist: Open creates no directory,
	// no store file and no device key (so no key-store entry either).
	// Every operation on the app's or an access group's store that does
	// not exist fails with ErrNoStore, which wraps ErrNotFound: a reader
	// that treats a missing item and a missing store alike needs no new
	// case. Read-only tools (the securestore CLI's get, has, list,
	// export) use it so that a mistyped app name leaves no trace.
	NoCreate bool
	// Agent says whether to use the securestore agent, which holds the
	// unlocked passcode classes for every process of the user (package
	// agent): "auto" ("" too) uses it if its socket answers at Open
	// ($SECURESTORE_AGENT_SOCK, else $XDG_RUNTIME_DIR/securestore/agent.sock),
	// "off" never, and an absolute path is the socket of an agent that
	// must answer. With an agent, Unlock unlocks in the agent, Lock locks
	// it, Locked asks it, and items of a passcode class this process holds
	// no key for are opened and sealed by the agent: the keys never enter
	// this process.
	Agent string
}

const (
	// DefaultMaxValueBytes is Expo's SecureStore size limit for a value.
	DefaultMaxValueBytes = 2048
	// MaxValueBytesLimit caps Config.MaxValueBytes: items are read and
	// decrypted whole, and this is a store for small secrets.
	MaxValueBytesLimit = 16 << 20
)

// ProtectorTimeout bounds every call into a protector (a key store, a TPM),
// so that a hung OS service makes Open fail instead of hang.
const ProtectorTimeout = 30 * time.Second

// Environment variables that fill in an empty Config field.
const (
	EnvDir       = "SECURESTORE_DIR"
	EnvProtector = "SECURESTORE_PROTECTOR"
)

// resolved is a validated Config with every default filled in.
type resolved struct {
	app       string
	dir       string // absolute
	protector string // "auto" or a registered name
	groups    map[string]bool
	maxValue  int
	noCreate  bool
	costs     kdfCosts // fullCosts outside tests
	agent     string   // AgentAuto, AgentOff or a socket path
}

func (c Config) resolve() (*resolved, error) {
	r := &resolved{app: c.App, groups: map[string]bool{}, maxValue: c.MaxValueBytes, noCreate: c.NoCreate}
	if err := validName("app", c.App); err != nil {
		return nil, err
	}
	for _, g := range c.AccessGroups {
		if err := validName("access group", g); err != nil {
			return nil, err
		}
		r.groups[g] = true
	}
	switch {
	case r.maxValue == 0:
		r.maxValue = DefaultMaxValueBytes
	case r.maxValue < 0 || r.maxValue > MaxValueBytesLimit:
		return nil, fmt.Errorf("%w: MaxValueBytes %d is outside 0..%d", ErrInvalidOption, c.MaxValueBytes, MaxValueBytesLimit)
	}
	dir, err := resolveDir(c.Dir)
	if err != nil {
		return nil, err
	}
	r.dir = dir
	r.protector = resolveProtector(c.Protector)
	if r.agent, err = resolveAgent(c.Agent); err != nil {
		return nil, err
	}
	if r.protector != protector.Auto {
		if _, err := defaultProtectors().Lookup(r.protector); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
		}
	}
	return r, nil
}

func resolveDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv(EnvDir)
	}
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return "", err
		}
	}
	return filepath.Abs(dir)
}

func resolveProtector(name string) string {
	if name == "" {
		name = os.Getenv(EnvProtector)
	}
	if name == "" {
		name = protector.Auto
	}
	return name
}

// DefaultDir is where stores live when neither Config.Dir nor
// $SECURESTORE_DIR says otherwise: "securestore" under the per-user data
// directory of this machine, which is never synced or roamed:
// $XDG_DATA_HOME (else ~/.local/share) on Linux and BSD,
// ~/Library/Application Support on macOS, %LocalAppData% on Windows.
func DefaultDir() (string, error) {
	var base string
	switch runtime.GOOS {
	case "windows":
		base = os.Getenv("LocalAppData")
	case "darwin", "ios":
		if home, err := os.UserHomeDir(); err == nil {
			base = filepath.Join(home, "Library", "Application Support")
		}
	default:
		base = os.Getenv("XDG_DATA_HOME")
		if !filepath.IsAbs(base) { // the XDG spec says to ignore relative paths
			base = ""
			if home, err := os.UserHomeDir(); err == nil {
				base = filepath.Join(home, ".local", "share")
			}
		}
	}
	if base == "" {
		return "", errors.New("securestore: no per-user data directory is known here; set Config.Dir or $" + EnvDir)
	}
	return filepath.Join(base, "securestore"), nil
}
