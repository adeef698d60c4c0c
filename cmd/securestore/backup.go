package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/securestore-go/securestore"
)

// This file is export and import: a backup of the app's store (and of
// --group's) in one file encrypted with a passphrase, in the library's
// format (age, scrypt), and its restore. The passphrase is read like a
// passcode (secret.go), from the terminal or --passphrase-fd.

func runExport(ctx context.Context, inv *invocation, args []string) error {
	path := args[0]
	toStdout := path == "-"
	if toStdout && writerIsTerminal(inv.stdout) {
		return &usageError{command: "export", msg: "refusing to write the export to a terminal; redirect standard output, or name a FILE"}
	}
	// Refuse before asking for anything; createExport checks again, as
	// the file may appear meanwhile.
	if !toStdout && !inv.force {
		if _, err := os.Lstat(path); err == nil {
			return exportExists(path)
		}
	}
	return inv.withStore(ctx, func(s *securestore.Store) error {
		relock, err := inv.unlockIfLocked(ctx, s, "export")
		if err != nil {
			return err
		}
		defer relock()
		passphrase, err := inv.secrets.read(inv.newPassphrase())
		if err != nil {
			return err
		}
		out := &exportFile{w: inv.stdout, commit: func() error { return nil }, abort: func() {}}
		if !toStdout {
			if out, err = createExport(path, inv.force); err != nil {
				clear(passphrase)
				return err
			}
		}
		progress := newProgressLine(inv.stderr, exportProgress)
		err = s.Export(ctx, progressWriter{out.w, progress}, passphrase) // wipes passphrase
		progress.finish()
		if err != nil {
			out.abort()
			return err
		}
		return out.commit()
	})
}

// newPassphrase asks for the passphrase of a new export: twice at the
// terminal, once from --passphrase-fd, never empty.
func (inv *invocation) newPassphrase() secretPrompt {
	return secretPrompt{
		fd:      inv.passphraseFD,
		flag:    "passphrase-fd",
		what:    "passphrase",
		prompt:  "Passphrase for the export: ",
		repeat:  "Type the passphrase again: ",
		ifEmpty: "an export needs one",
	}
}

// exportFile is where an export goes: commit once it is complete; abort
// after a failure removes what was written, so that no partial export is
// mistaken for a backup.
type exportFile struct {
	w      io.Writer
	commit func() error
	abort  func()
}

// createExport creates the export file path, mode 0600: its content is
// encrypted, but who made a backup of what, and when, is nobody else's
// business. An existing file is an error unless force; with force, a
// regular file is replaced only once the new export is complete.
func createExport(path string, force bool) (*exportFile, error) {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return nil, exportExists(path)
		}
		if err != nil {
			return nil, err
		}
		return &exportFile{
			w:      f,
			commit: func() error { return syncClose(f) },
			abort:  func() { f.Close(); os.Remove(path) },
		}, nil
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		// A pipe or a device (/dev/stdout): nothing to replace.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &exportFile{w: f, commit: f.Close, abort: func() { f.Close() }}, nil
	}
	// Write beside the old file and rename over it: until the rename the
	// old export stays whole, and a failure leaves it as it was.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return nil, err
	}
	return &exportFile{
		w: tmp,
		commit: func() error {
			err := syncClose(tmp)
			if err == nil {
				err = os.Rename(tmp.Name(), path)
			}
			if err != nil {
				os.Remove(tmp.Name())
			}
			return err
		},
		abort: func() { tmp.Close(); os.Remove(tmp.Name()) },
	}, nil
}

// syncClose makes f durable and closes it: an export is a backup.
func syncClose(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func exportExists(path string) error {
	return &usageError{command: "export", msg: fmt.Sprintf("%s exists; --force replaces it", path)}
}

func runImport(ctx context.Context, inv *invocation, args []string) error {
	path := args[0]
	var in io.Reader
	if path == "-" {
		if _, ok := terminal(inv.stdin); ok {
			return &usageError{command: "import", msg: "standard input is a terminal; pipe the export in, or name its FILE"}
		}
		if err := inv.checkStdinFree("import", "the export"); err != nil {
			return err
		}
		in = inv.stdin
	} else {
		// Open the file before asking for anything.
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	return inv.withStore(ctx, func(s *securestore.Store) error {
		relock, err := inv.unlockIfLocked(ctx, s, "import")
		if err != nil {
			return err
		}
		defer relock()
		passphrase, err := inv.secrets.read(secretPrompt{
			fd:     inv.passphraseFD,
			flag:   "passphrase-fd",
			what:   "passphrase",
			prompt: "Passphrase of the export: ",
		})
		if err != nil {
			return err
		}
		progress := newProgressLine(inv.stderr, importProgress(regularFileSize(in)))
		res, err := s.ImportReport(ctx, progressReader{in, progress}, passphrase) // wipes passphrase
		progress.finish()
		if errors.Is(err, securestore.ErrWrongPasscode) {
			return &wrongPassphraseError{err: err}
		}
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(inv.stderr, importSummary(res))
		return err
	})
}

// importSummary is what import says when it is done.
func importSummary(res securestore.ImportResult) string {
	s := fmt.Sprintf("restored %d %s, skipped %d", res.Restored, plural(res.Restored, "item", "items"), res.Skipped)
	if res.Skipped > 0 {
		s += " (this-device-only items from another device, or needing a passcode)"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// regularFileSize is the size of r when it is a regular file, for the
// progress line's percentage, and -1 otherwise.
func regularFileSize(r io.Reader) int64 {
	f, ok := r.(*os.File)
	if !ok {
		return -1
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return -1
	}
	return fi.Size()
}

// wrongPassphraseError is import's wrong passphrase. The library reports
// it as ErrWrongPasscode (exit status 5), which it wraps; its message says
// passphrase, the word the user knows it by.
type wrongPassphraseError struct {
	err error
}

func (e *wrongPassphraseError) Error() string {
	return "import: wrong passphrase: it does not open this export; nothing was changed"
}

func (e *wrongPassphraseError) Unwrap() error { return e.err }
