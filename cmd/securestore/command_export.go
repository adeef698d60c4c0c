package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/securestore-go/securestore"
)

// export writes a backup of the app's store (and of --group's) in one
// file encrypted with a passphrase, in the library's format (age,
// scrypt); import (command_import.go) restores it. The passphrase is read
// like a passcode (secret.go), from the terminal or --passphrase-fd.

// exportCommand is "securestore export"; its tests are in testdata/script/export.txtar.
var exportCommand = &command{
	name:    "export",
	args:    []string{"FILE"},
	summary: "write every item to FILE, encrypted with a passphrase",
	help: `Write every item of the app's store, and of --group's if given, to FILE
("-" for standard output), encrypted with a passphrase (age format,
scrypt). The passphrase is asked twice at the terminal, or read from
--passphrase-fd (one line). It cannot be empty.

FILE is created with mode 0600 and must not exist, unless --force, which
replaces it once the new export is complete. A failed export leaves no
partial file.

Items of the this-device-only classes are carried sealed for this device:
an import on another device skips them. When the app has a passcode, the
store is unlocked first (see "securestore passcode --help"). On a
terminal, a long export shows its progress on standard error.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		definePasscodeFD(fs, &inv.secrets)
		definePassphraseFD(fs, &inv.secrets)
		var force bool
		fs.BoolVar(&force, "force", false, "replace FILE if it exists")
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runExport(ctx, inv, args[0], force)
		}
	},
}

func runExport(ctx context.Context, inv *invocation, path string, force bool) error {
	toStdout := path == "-"
	if toStdout && writerIsTerminal(inv.stdout) {
		return &usageError{command: "export", msg: "refusing to write the export to a terminal; redirect standard output, or name a FILE"}
	}
	// Refuse before asking for anything; createExport checks again, as
	// the file may appear meanwhile.
	if !toStdout && !force {
		if _, err := os.Lstat(path); err == nil {
			return exportExists(path)
		}
	}
	return inv.withExistingStore(ctx, func(s *securestore.Store) error {
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
			if out, err = createExport(path, force); err != nil {
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
		fd:      inv.secrets.passphraseFD,
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
