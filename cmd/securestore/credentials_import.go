package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/securestore-go/securestore/internal/fsutil"
)

// The import commands move plain-text credentials into the stores that
// the credential helpers use. They parse the whole file first and stop
// at the first line or entry that is not a credential; they store every
// credential, read each one back, and only then remove the plain text. A
// failure at any point leaves the file as it was.

// errBadImportFile is wrapped by the error of an import whose file has
// lines or entries that are not credentials: exit status 2.
var errBadImportFile = errors.New("the file has entries that are not credentials")

// onlyFlags refuses the global flags that an import command does not use
// (all but allowed): the helpers' app, service and class are fixed, and
// silently ignoring a flag would put credentials where the user does not
// expect them.
func onlyFlags(inv *invocation, cmd string, allowed ...string) error {
	used := map[string]bool{
		"--app":        inv.global.app != "",
		"--service":    inv.global.service != "",
		"--group":      inv.global.group != "",
		"--accessible": inv.global.accessible.name != "",
	}
	for _, name := range []string{"--app", "--service", "--group", "--accessible"} {
		if used[name] && !slices.Contains(allowed, name) {
			return &usageError{command: cmd, msg: name + " does not apply: the credential helper decides where its credentials live"}
		}
	}
	return nil
}

// removePlainText removes the file at path, and the file it links to when
// it is a symbolic link: removing only the link would leave the plain text.
func removePlainText(path string) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	if err := os.Remove(target); err != nil {
		return err
	}
	if target != path {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return fsutil.SyncDir(filepath.Dir(target))
}

// replaceFile replaces the file at path (or the file it links to) with
// data, durably and atomically: readers see the old file or the new one.
func replaceFile(path string, data []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".securestore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	return fsutil.SyncDir(dir)
}
