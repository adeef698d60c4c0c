package secmem

import "golang.org/x/sys/unix"

// noDump leaves the pages out of core dumps (best effort: kernels before
// 3.4 do not know MADV_DONTDUMP).
func noDump(b []byte) { _ = unix.Madvise(b, unix.MADV_DONTDUMP) }
