// Package fsutil creates and checks the private files and directories that a
// store lives in: directories 0700, files 0600, never readable by others,
// and written so that a crash leaves either the old or the new content.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// PermissionError reports a path that other users may read or that belongs
// to another user.
type PermissionError struct {
	Path   string
	Reason string // what is wrong, e.g. "mode 0644 lets group or others read it"
	Fix    string // the command that fixes it, e.g. "chmod 600 /path"
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("refusing to use %s: %s; fix it with: %s", e.Path, e.Reason, e.Fix)
}

// MkdirPrivate creates dir (and missing parents) with mode 0700 and checks
// that the result is private.
// Every directory it creates is synced into its parent, so that a power
// cut cannot lose the store's directory after its first write was
// acknowledged.
func MkdirPrivate(dir string) error {
	// The directories that do not exist yet, innermost first.
	var created []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, d := range created {
		if err := syncDir(filepath.Dir(d)); err != nil {
			return fmt.Errorf("sync the new directory %s into its parent: %w", d, err)
		}
	}
	return CheckPrivate(dir)
}

// CheckPrivate returns a *PermissionError when path is accessible to group
// or others or is owned by another user. A missing path is not an error.
func CheckPrivate(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return checkPrivate(path, fi)
}

// CreatePrivate creates an empty file with mode 0600 unless it exists.
func CreatePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// CreateOnce writes data to path durably, unless path already exists, in
// which case it leaves the file alone and returns created == false. Readers
// never see a partly written file: data goes to a temporary file that is
// synced and then linked into place.
func CreateOnce(path string, data []byte) (created bool, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && !isChmodUnsupported(err) {
		tmp.Close()
		return false, err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	// Link, unlike rename, fails when the target exists: of two processes
	// creating the same file at once, exactly one wins and both read its
	// content afterwards.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, err
	}
	return true, SyncDir(dir)
}

func tempPrefix(path string) string { return ".tmp-" + filepath.Base(path) + "-" }

// RemoveStaleTemps removes CreateOnce's temporary files for path that are
// older than age. A crash between linking a file into place and removing
// its temporary name leaves a second copy of the content behind, which for
// a key file is a second copy of a secret; younger ones may belong to a
// creation in progress and are left alone.
func RemoveStaleTemps(path string, age time.Duration) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPrefix(path)+"*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && time.Since(fi.ModTime()) > age {
			os.Remove(m)
		}
	}
}

// ReadFile reads path like os.ReadFile. On Windows, a file that another
// process is deleting a hard link of (CreateOnce's temporary name) cannot
// be opened for a moment ("sharing violation"); ReadFile retries that for
// up to a second instead of failing an Open that raced a store's creation.
func ReadFile(path string) ([]byte, error) {
	deadline := time.Now().Add(time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil || !isSharingViolation(err) || time.Now().After(deadline) {
			return data, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncDir is SyncDir; tests record its calls.
var syncDir = SyncDir
