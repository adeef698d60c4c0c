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

// freeSpace is the space left on the file system holding dir for an
// unprivileged writer; known is false if it could not be read.
func freeSpace(dir string) (free uint64, known bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
