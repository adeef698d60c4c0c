//go:build unix

package storage

import "golang.org/x/sys/unix"

// lowSpace is the free space under which a failed write is taken for a
// full disk: less than a few pages, so that no commit of one item fits.
const lowSpace = 64 << 10

// noSpace reports whether the file system holding dir has (nearly) no
// space left for an unprivileged writer.
func noSpace(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return uint64(st.Bavail)*uint64(st.Bsize) < lowSpace
}
