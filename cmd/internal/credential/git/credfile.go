package git

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
)

// This file reads ~/.git-credentials, the plain-text file of git
// credential-store, so that `securestore import-git-credentials` can move
// its credentials into the store.

// FileEntry is one credential of a credentials file.
type FileEntry struct {
	Line int // 1-based
	Credential
	// ShadowedBy is the earlier line with the same identity, which git
	// uses instead of this one; 0 when none.
	ShadowedBy int
}

// LineError is a line of a credentials file that is not a credential.
// It names the line by number and never quotes it.
type LineError struct {
	Line   int
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ParseCredentialsFile parses the lines of a credentials file, each
// protocol://user:password@host[:port][/path] with percent-encoding, as
// git credential-store writes and reads them. Blank lines are skipped; a
// "\r" before the "\n" is dropped. Every other line must be a complete,
// storable credential, else it is returned among the errors; the caller
// must then leave the file alone.
func ParseCredentialsFile(data string) ([]FileEntry, []error) {
	var entries []FileEntry
	var errs []error
	first := map[string]int{} // item key → first line
	for i, line := range strings.Split(data, "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		c, err := ParseURL(line)
		if err != nil {
			errs = append(errs, &LineError{n, err.Error()})
			continue
		}
		if !c.Username.Present || !c.Password.Present {
			errs = append(errs, &LineError{n, "no user name and password (want protocol://user:password@host)"})
			continue
		}
		if size := len((&Entry{Credential: c, StoredAt: time.Now().UnixNano()}).Encode()); size > securestore.DefaultMaxValueBytes {
			errs = append(errs, &LineError{n, fmt.Sprintf("the credential is %d bytes once encoded, more than the %d bytes an item holds",
				size, securestore.DefaultMaxValueBytes)})
			continue
		}
		fe := FileEntry{Line: n, Credential: c}
		key := Key(&c)
		if earlier, ok := first[key]; ok {
			fe.ShadowedBy = earlier
		} else {
			first[key] = n
		}
		entries = append(entries, fe)
	}
	return entries, errs
}

// Import stores the entries that git would use (not the shadowed ones),
// the first line as the most recent, as credential-store orders them,
// then reads every one back and compares it. It replaces stored
// credentials of the same identity but leaves others alone. It returns
// the number stored; an error means the file must be kept.
func (h *Helper) Import(ctx context.Context, entries []FileEntry) (int, error) {
	base := h.now().UnixNano()
	want := map[string]Entry{}
	for i := len(entries) - 1; i >= 0; i-- {
		fe := entries[i]
		if fe.ShadowedBy != 0 {
			continue
		}
		e := Entry{Credential: fe.Credential, StoredAt: base - int64(i)}
		key := Key(&fe.Credential)
		if err := h.Items.SetItem(ctx, key, e.Encode(), options); err != nil {
			return 0, fmt.Errorf("line %d: %w", fe.Line, h.wrap(err))
		}
		want[key] = e
	}
	for _, fe := range entries {
		if fe.ShadowedBy != 0 {
			continue
		}
		key := Key(&fe.Credential)
		value, err := h.Items.GetItem(ctx, key, options)
		if err != nil {
			return 0, fmt.Errorf("line %d: reading it back: %w", fe.Line, h.wrap(err))
		}
		got, err := DecodeEntry(value)
		if err != nil || got != want[key] {
			return 0, fmt.Errorf("line %d: the credential read back differs from the one stored", fe.Line)
		}
	}
	return len(want), nil
}
