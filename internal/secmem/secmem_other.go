//go:build !unix

package secmem

// alloc gives no mapping here: New falls back to a Go slice.
func alloc(int) ([]byte, bool, bool) { return nil, false, false }

func release([]byte, bool) {}
