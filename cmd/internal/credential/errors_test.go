package credential

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
)

func TestIsLocked(t *testing.T) {
	for _, err := range []error{securestore.ErrLocked, securestore.ErrNoPasscode, securestore.ErrWrongPasscode} {
		wrapped := fmt.Errorf("securestore: get %q: %w", "k", err)
		if !IsLocked(wrapped) {
			t.Errorf("IsLocked(%v) = false", wrapped)
		}
		locked := &LockedError{App: "git-credential", Err: wrapped}
		if !errors.Is(locked, err) {
			t.Errorf("LockedError does not wrap %v", err)
		}
		if msg := locked.Error(); !strings.Contains(msg, `app "git-credential"`) || !strings.Contains(msg, "never ask") ||
			!strings.Contains(msg, "securestore --app git-credential") {
			t.Errorf("LockedError says %q: want the app, that helpers never prompt, and the command", msg)
		}
	}
	for _, err := range []error{nil, securestore.ErrNotFound, securestore.ErrCorrupt, errors.New("disk")} {
		if IsLocked(err) {
			t.Errorf("IsLocked(%v) = true", err)
		}
	}
}

func TestCheckSize(t *testing.T) {
	if err := CheckSize("https://h", strings.Repeat("x", securestore.DefaultMaxValueBytes), 0); err != nil {
		t.Errorf("CheckSize of exactly the limit: %v", err)
	}
	err := CheckSize("https://h", strings.Repeat("x", securestore.DefaultMaxValueBytes+1), 0)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || !errors.Is(err, securestore.ErrValueTooLarge) {
		t.Fatalf("CheckSize over the limit: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "https://h is 2049 bytes") || !strings.Contains(msg, "not stored") || strings.Contains(msg, "xxx") {
		t.Errorf("message %q", msg)
	}
}
