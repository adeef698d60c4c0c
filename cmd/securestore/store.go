package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
	"github.com/securestore-go/securestore/internal/storage"
)

// EnvApp names the app when --app is absent. ($SECURESTORE_DIR and
// $SECURESTORE_PROTECTOR are read by the library itself.)
const EnvApp = "SECURESTORE_APP"

// defaultApp is the app when neither --app nor $SECURESTORE_APP names one.
const defaultApp = "default"

// invocation is one run of the program: its standard streams and the
// flags parsed from its command line. Commands get everything from it.
type invocation struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	// global are the flags every command takes; each command's own
	// flags are its setup's (commands.go).
	global globalFlags

	// secrets is where passcodes and passphrases come from (secret.go):
	// --passcode-fd, --passphrase-fd, and the terminal and file
	// descriptors it opened.
	secrets secretReader

	// maxValueFlag is set's --max-value-bytes as given; maxValue the
	// limit it resolves to (0: the library's default).
	maxValueFlag string
	maxValue     int

	// yes is --yes, for the commands that would ask before deleting.
	yes bool
}

// app is the app whose store the command uses.
func (inv *invocation) app() string {
	if inv.global.app != "" {
		return inv.global.app
	}
	if app := os.Getenv(EnvApp); app != "" {
		return app
	}
	return defaultApp
}

// service is the service of the items the command acts on.
func (inv *invocation) service() string {
	if inv.global.service != "" {
		return inv.global.service
	}
	return securestore.DefaultService
}

// storeName names the store in messages: `app "x"` or `access group "g"`.
func (inv *invocation) storeName() string {
	if inv.global.group != "" {
		return fmt.Sprintf("access group %q", inv.global.group)
	}
	return fmt.Sprintf("app %q", inv.app())
}

// config is the securestore.Config that the flags ask for. An empty Dir or
// Protector lets the library read its environment variables.
func (inv *invocation) config() securestore.Config {
	cfg := securestore.Config{
		App:           inv.app(),
		Dir:           inv.global.dir,
		Protector:     inv.global.protector,
		MaxValueBytes: inv.maxValue,
	}
	if inv.global.group != "" {
		// The CLI acts for whoever runs it, so it entitles itself to
		// the group it is asked to use.
		cfg.AccessGroups = []string{inv.global.group}
	}
	return cfg
}

// options are the per-item options that the flags ask for.
func (inv *invocation) options() *securestore.Options {
	return &securestore.Options{
		KeychainService:    inv.global.service,
		KeychainAccessible: inv.global.accessible.class,
		AccessGroup:        inv.global.group,
	}
}

// withStore opens the store the flags name, calls use with it and closes
// it (credential.WithStore). The command reads or writes a few items and
// the process ends, so the store is opened short-lived: its reads share
// the connection that opening it took, rather than setting up reader
// connections and a row cache that only pay off over many reads
// (internal/storage's shortlived.go).
func (inv *invocation) withStore(ctx context.Context, use func(*securestore.Store) error) error {
	if err := inv.checkDataDir(); err != nil {
		return err
	}
	storage.SetShortLived()
	return inv.explain(credential.WithStore(ctx, inv.config(), use))
}

// withExistingStore is withStore for the commands that only read (get,
// has, list, export): it creates nothing, and a store that does not exist
// is exit status 1 with a message that names the flags to check.
func (inv *invocation) withExistingStore(ctx context.Context, use func(*securestore.Store) error) error {
	if err := inv.checkDataDir(); err != nil {
		return err
	}
	storage.SetShortLived()
	cfg := inv.config()
	cfg.NoCreate = true
	return inv.asNoStore(inv.explain(credential.WithStore(ctx, cfg, use)))
}

// explain adds what to do to the errors whose cause a user cannot guess
// from the library's words.
func (inv *invocation) explain(err error) error {
	if err == nil {
		return nil
	}
	// SQLite's fixed descriptions of its result codes, which the library
	// keeps in its messages, in any case.
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "readonly database") || strings.Contains(msg, "read-only file system") ||
		// SQLite in WAL mode cannot open a store in a directory where it
		// cannot create the -shm file, even to read: it says only
		// "unable to open the database file" (SQLITE_CANTOPEN, 14).
		(strings.Contains(msg, "unable to open database file") || strings.Contains(msg, "unable to open the database file")) &&
			dirReadOnly(inv.storeDir()):
		return fmt.Errorf("the store directory is read-only for this user (give a writable one with --dir DIR or $%s): %w",
			securestore.EnvDir, err)
	case strings.Contains(err.Error(), `unwrap the device key with the "secretservice" protector`) &&
		!errors.Is(err, securestore.ErrCorrupt):
		// A store made at the desktop under "auto" keeps its device key
		// in the desktop's keyring, which ssh sessions and cron jobs do
		// not reach.
		return fmt.Errorf("%w; if the store was made in a desktop session and this is ssh or cron, where the keyring "+
			"is not reachable, run at the desktop: securestore migrate --to file", err)
	}
	return err
}
