package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/keyring/keyname"
)

// importPassCommand is "securestore import-pass"; its tests are in
// testdata/pass/import_pass.txtar (they need gpg and pass).
var importPassCommand = &command{
	name:    "import-pass",
	summary: "copy the entries of a pass password store in",
	help: `Copy the entries of a pass ("the standard unix password manager") store
into the store of --app: every FILE.gpg under $PASSWORD_STORE_DIR (else
~/.password-store), or only those under --prefix, decrypted with
"gpg --batch --quiet --decrypt FILE" (gpg-agent asks for the key's
passphrase as it does for pass). Directories whose name starts with "."
(.git, .extensions) are skipped.

An entry DIR/NAME becomes key NAME in service DIR (github.com/alice: key
"alice" of service "github.com"); an entry at the top of the store goes to
service "pass". A DIR with a "/" or a name outside A-Z a-z 0-9 . - is
encoded as the go-keyring drop-in encodes names: any other byte becomes "_"
and two hex digits (email/work/gmail: key "gmail" of service
"email_2Fwork"). The value is the whole decrypted entry, password line and
any further lines, with one trailing newline removed as set removes it, so
that "securestore get" prints what "pass show" printed.

Nothing changes unless every entry can be copied: an entry that does not
decrypt, two entries with the same service and key, a different value
already stored under one, or a failure while storing leaves the store as
it was. Every item is read back. The pass store is never changed. The
output gives counts, never a value.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var prefix string
		fs.StringVar(&prefix, "prefix", "", "import only the entries under `DIR` of the password store")
		definePasscodeFD(fs, &inv.secrets)
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runImportPass(ctx, inv, prefix)
		}
	},
}

// passTopService is the service of the entries at the top of a pass store.
const passTopService = "pass"

// gpgTimeout bounds the decryption of one entry, the passphrase prompt of
// gpg-agent included.
const gpgTimeout = 2 * time.Minute

// maxPassEntryBytes bounds what run reads from gpg for one entry; the
// store's own limit applies when it is stored.
const maxPassEntryBytes = 16 << 20

func runImportPass(ctx context.Context, inv *invocation, prefix string) error {
	const cmd = "import-pass"
	if inv.global.service != "" {
		return &usageError{command: cmd, msg: "--service does not apply: each entry's directory is its service"}
	}
	dir := os.Getenv("PASSWORD_STORE_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("%s: $PASSWORD_STORE_DIR is unset and there is no home directory: %w", cmd, err)
		}
		dir = filepath.Join(home, ".password-store")
	}
	prefix = strings.Trim(filepath.ToSlash(prefix), "/")
	names, err := passEntries(dir, prefix)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if len(names) == 0 {
		fmt.Fprintf(inv.stdout, "%s holds no entries%s; nothing to import.\n", dir, underPrefix(prefix))
		return nil
	}
	entries, err := passImportEntries(ctx, dir, names)
	if err != nil {
		return err
	}
	services := map[string]bool{}
	for _, e := range entries {
		services[e.service] = true
	}
	err = inv.withStore(ctx, func(s *securestore.Store) error {
		relock, err := inv.unlockIfLocked(ctx, s, cmd)
		if err != nil {
			return err
		}
		defer relock()
		return storeAll(ctx, s, inv.options(), entries)
	})
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was imported", cmd, err)
	}
	fmt.Fprintf(inv.stdout, "Imported %d entries%s of %s into %s, in %d services.\n", len(entries), underPrefix(prefix), dir, inv.storeName(), len(services))
	return nil
}

func underPrefix(prefix string) string {
	if prefix == "" {
		return ""
	}
	return fmt.Sprintf(" under %q", prefix)
}

// passEntries lists the entries of the pass store at dir, under prefix
// when it is not "": their paths relative to dir, with "/" and without
// ".gpg", sorted.
func passEntries(dir, prefix string) ([]string, error) {
	root := dir
	if prefix != "" {
		root = filepath.Join(dir, filepath.FromSlash(prefix))
	}
	if _, err := os.Stat(root); err != nil {
		return nil, err
	}
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".gpg") || !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		names = append(names, strings.TrimSuffix(filepath.ToSlash(rel), ".gpg"))
		return nil
	})
	sort.Strings(names)
	return names, err
}

// passImportEntries decrypts every entry and maps it to a service and
// key. The first failure stops it, naming the entry, never a value.
func passImportEntries(ctx context.Context, dir string, names []string) ([]importEntry, error) {
	var entries []importEntry
	seen := map[[2]string]string{}
	for _, name := range names {
		service, key := passTopService, name
		if d, base := path.Split(name); d != "" {
			service, key = keyname.Encode(strings.TrimSuffix(d, "/")), base
		}
		key = keyname.Encode(key)
		if other, dup := seen[[2]string{service, key}]; dup {
			return nil, &inputError{msg: fmt.Sprintf("import-pass: the entries %q and %q both map to key %q of service %q; nothing was imported", other, name, key, service)}
		}
		seen[[2]string{service, key}] = name
		value, err := gpgDecrypt(ctx, filepath.Join(dir, filepath.FromSlash(name)+".gpg"))
		if err != nil {
			return nil, fmt.Errorf("import-pass: entry %q: %w; nothing was imported", name, err)
		}
		entries = append(entries, importEntry{service: service, key: key, value: value})
	}
	return entries, nil
}

// gpgDecrypt decrypts file with gpg. The plaintext comes on gpg's
// standard output, never through a file or an argument; one trailing
// newline is removed, as set removes it.
func gpgDecrypt(ctx context.Context, file string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, gpgTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	c := exec.CommandContext(ctx, "gpg", "--batch", "--quiet", "--decrypt", "--", file)
	c.Stdout = &limitedBuffer{buf: &stdout, max: maxPassEntryBytes}
	c.Stderr = &limitedBuffer{buf: &stderr, max: 64 << 10}
	err := c.Run()
	defer func() { clear(stdout.Bytes()) }()
	if ctx.Err() != nil {
		return "", fmt.Errorf("gpg gave no answer within %v", gpgTimeout)
	}
	if err != nil {
		// gpg's messages name keys and files, not the plaintext.
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return "", fmt.Errorf("gpg --decrypt failed (%v): %s", err, msg)
	}
	value, found := bytes.CutSuffix(stdout.Bytes(), []byte("\n"))
	if found {
		value = bytes.TrimSuffix(value, []byte("\r"))
	}
	return string(value), nil
}

// limitedBuffer is a bytes.Buffer that fails writes past max bytes.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		return 0, errors.New("too much output")
	}
	return b.buf.Write(p)
}
