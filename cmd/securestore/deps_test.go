package main

import (
	"os/exec"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// heavyModules must not be linked into securestore: the etcd client and
// the gRPC and protobuf it brings cost every command its start-up time,
// and their package initialisation opens descriptors before main, which
// --passcode-fd's check would take for ones passed to us (locked.txtar).
// Sync is the program securestore-sync (command_sync.go).
var heavyModules = []string{"go.etcd.io/", "google.golang.org/grpc", "google.golang.org/protobuf"}

// TestNoEtcdInBinary lists the packages that "go build ./cmd/securestore"
// links.
func TestNoEtcdInBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) < 50 || !slices.Contains(pkgs, "github.com/securestore-go/securestore") {
		t.Fatalf("go list -deps gave %d packages without the library; the check would prove nothing", len(pkgs))
	}
	var linked []string
	for _, p := range pkgs {
		if heavy(p) {
			linked = append(linked, p)
		}
	}
	if len(linked) > 0 {
		t.Errorf("securestore links %d packages of %v, e.g. %s", len(linked), heavyModules, linked[0])
	}
}

// TestNoEtcdInTestBinary reads the modules linked into this test binary,
// which holds the whole command and its tests.
func TestNoEtcdInTestBinary(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if !ok || len(info.Deps) == 0 {
		t.Fatal("the test binary has no build information")
	}
	for _, m := range info.Deps {
		if heavy(m.Path) {
			t.Errorf("the test binary links module %s", m.Path)
		}
	}
}

func heavy(path string) bool {
	for _, h := range heavyModules {
		if strings.HasPrefix(path, h) {
			return true
		}
	}
	return false
}
