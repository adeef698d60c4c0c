package servicetest

import (
	"os"
	"path/filepath"
	"testing"
)

// `go test ./...` runs the packages that use the etcd cluster of
// .ci/with-etcd (syncgroup, both CLIs) as parallel processes against that
// one cluster. A test that stops, kills, freezes or compacts it would make
// another package's test fail for no fault of its own: a `sync create`
// that times out while every member is stopped. So such a test holds the
// cluster exclusively and every other test that uses it holds it shared.
// The lock is flock(2) on a file in $SECURESTORE_TEST_ETCD_DIR, released
// when the test (or the script) ends; without that directory there is
// nothing to share and nothing is locked.
//
// A test takes one of the two, once: a process that holds the cluster
// shared and asks for it exclusively would wait for itself.

// EtcdShared holds the cluster shared until t ends.
func EtcdShared(t testing.TB) { etcdHold(t, false) }

// EtcdExclusive holds the cluster exclusively until t ends: no test of
// another process uses it meanwhile.
func EtcdExclusive(t testing.TB) { etcdHold(t, true) }

func etcdHold(t testing.TB, exclusive bool) {
	t.Helper()
	release, err := EtcdLock(exclusive)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
}

// EtcdLock is EtcdShared or EtcdExclusive for a caller without a
// testing.TB (a testscript command): it returns the function that
// releases the lock.
func EtcdLock(exclusive bool) (release func(), err error) {
	dir := os.Getenv("SECURESTORE_TEST_ETCD_DIR")
	if dir == "" {
		return func() {}, nil
	}
	return flockFile(filepath.Join(dir, "tests.lock"), exclusive)
}
