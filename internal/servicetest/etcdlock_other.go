//go:build !unix

package servicetest

// flockFile does nothing where the etcd tests do not run (.ci/with-etcd
// is a unix script).
func flockFile(string, bool) (func(), error) { return func() {}, nil }
