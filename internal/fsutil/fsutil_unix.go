//go:build unix

package fsutil

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func checkPrivate(path string, fi fs.FileInfo) error {
	perm := fi.Mode().Perm()
	if perm&0o077 != 0 {
		want, what := "600", "file"
		if fi.IsDir() {
			want, what = "700", "directory"
		}
		return &PermissionError{
			Path:   path,
			Reason: fmt.Sprintf("%s mode %04o lets group or others access it", what, perm),
			Fix:    fmt.Sprintf("chmod %s %s", want, path),
		}
	}
	// Another owner is refused for every uid, root's too, as ssh's
	// StrictModes does: root (sudo keeping HOME, a root daemon) writing
	// into a user's store would leave the user reading root's values.
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Geteuid(); int(st.Uid) != uid {
			return &PermissionError{
				Path:   path,
				Reason: fmt.Sprintf("it belongs to uid %d, not to you (uid %d)", st.Uid, uid),
				Fix:    fmt.Sprintf("chown %d %s", uid, path),
			}
		}
	}
	return nil
}

// SyncDir makes a change to dir's entries (a created, linked or removed
// file) durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func isChmodUnsupported(error) bool { return false }
