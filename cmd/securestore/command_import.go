package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/securestore-go/securestore"
)

// importCommand is "securestore import"; its tests are in testdata/script/import.txtar.
var importCommand = &command{
	name:    "import",
	args:    []string{"FILE"},
	summary: "restore the items of an export from FILE",
	help: `Restore the items of an export that "securestore export" wrote to FILE
("-" for standard input), replacing items with the same store, service
and key. The passphrase is asked at the terminal, or read from
--passphrase-fd (one line).

Items of the this-device-only classes restore only onto the device they
were exported from, and when-passcode-set-this-device-only items only
where a passcode is set; the others are skipped. Items of an access group
go back to that group, which must be given with --group. When done,
import says on standard error how many items it restored and skipped.

An import is all or nothing: a wrong passphrase (exit status 5) or a
damaged or truncated file (exit status 4) changes nothing. When the app
has a passcode, the store is unlocked first (see "securestore passcode
--help"). On a terminal, a long import shows its progress on standard
error.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		definePasscodeFD(fs, &inv.secrets)
		definePassphraseFD(fs, &inv.secrets)
		return runImport
	},
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
	// Look at the start of the file before asking for anything: a file
	// that is not an export (a .git-credentials file, a docker
	// config.json) is the user's mistake, not a corrupt store, and its
	// content never goes into a message.
	sniffed := bufio.NewReader(in)
	if err := checkExportIntro(sniffed, path); err != nil {
		return err
	}
	in = readerWithFile{sniffed, in}
	return inv.withStore(ctx, func(s *securestore.Store) error {
		relock, err := inv.unlockIfLocked(ctx, s, "import")
		if err != nil {
			return err
		}
		defer relock()
		passphrase, err := inv.secrets.read(secretPrompt{
			fd:     inv.secrets.passphraseFD,
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

// exportIntro is how every export starts: it is an age file.
const exportIntro = "age-encryption.org/v1\n"

// checkExportIntro refuses a file that does not start as an export, with
// advice and without any of its content.
func checkExportIntro(r *bufio.Reader, path string) error {
	head, _ := r.Peek(len(exportIntro))
	if string(head) == exportIntro {
		return nil
	}
	return &inputError{msg: fmt.Sprintf("import: %s is not a securestore export (an export starts with %q); "+
		"nothing was changed. To import a .git-credentials file use 'securestore import-git-credentials', "+
		"a docker config.json 'securestore import-docker-config'", path, strings.TrimSpace(exportIntro))}
}

// readerWithFile reads from the buffered reader but keeps the file, for
// regularFileSize's percentage.
type readerWithFile struct {
	*bufio.Reader
	file io.Reader
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
	if b, ok := r.(readerWithFile); ok {
		r = b.file
	}
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
