// Package exportfile is the file format of securestore's exports: an age
// file (https://age-encryption.org, scrypt recipient) whose plaintext is
// JSON lines: a header, one line per item, and a trailer with the item
// count, so that a truncated file is detected even before age's own
// authentication would catch it. docs/FORMAT.md has the fields.
//
// It speaks bytes and strings and knows nothing of stores or classes:
// Encrypt and Decrypt are the age layer, Writer and Reader the lines
// inside it. A file that is not a well-formed export fails with a
// *FormatError; a passphrase that does not open it with
// ErrWrongPassphrase.
package exportfile

import (
	"errors"
	"time"
)

// Format is the header's format field.
const Format = "securestore-export"

// Version is the format version this package writes and reads.
const Version = 1

// DefaultWorkFactor is scrypt's log2(N) for the passphrase of a new
// export: age's default, about a second and 256 MiB.
const DefaultWorkFactor = 18

// DefaultMaxWorkFactor is the largest scrypt work factor (log2 N) that
// Decrypt accepts by default: age's own, 22 (about 15 s and 4 GiB), well
// above DefaultWorkFactor.
const DefaultMaxWorkFactor = 22

// Header is the first line of an export.
type Header struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	App     string    `json:"app"`
	Created time.Time `json:"created"`
}

// Item is one item of an export. Value holds the value of an item that
// may move to another device; Device and Sealed carry a ThisDeviceOnly
// item, sealed for the device it came from.
type Item struct {
	Group   string `json:"group,omitempty"` // "" for the app's own store
	Service string `json:"service"`
	Key     string `json:"key"`
	Class   string `json:"class"`
	Value   []byte `json:"value,omitempty"`  // the value, for items that may migrate
	Device  []byte `json:"device,omitempty"` // ThisDeviceOnly: the source device key's fingerprint
	Sealed  []byte `json:"sealed,omitempty"` // ThisDeviceOnly: the value sealed under the source device key
}

// line is an item line or the trailer, as JSON holds them.
type line struct {
	Item
	End   bool `json:"end,omitempty"`   // the trailer
	Items int  `json:"items,omitempty"` // the trailer: how many items came before it
}

// A FormatError says why a file is not a well-formed export.
type FormatError struct {
	Reason string
}

func (e *FormatError) Error() string { return e.Reason }

// ErrWrongPassphrase means that the passphrase does not open the file.
var ErrWrongPassphrase = errors.New("the passphrase does not open this export")

func damaged(what string) error { return &FormatError{Reason: "the export is damaged: " + what} }
