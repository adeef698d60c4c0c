// Package servicetest decides what a test does when a real service it needs
// (gnome-keyring, swtpm, Wine, a registry) is not running: it skips, with a
// message naming the script that starts the service, unless
// SECURESTORE_REQUIRE_SERVICES=1 is set (as .ci/run sets it), in which case
// it fails. CI therefore never passes on a skip.
package servicetest

import (
	"os"
	"testing"
)

// EnvRequire is the variable that turns a missing service into a failure.
const EnvRequire = "SECURESTORE_REQUIRE_SERVICES"

// Required reports whether missing services must fail the tests.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// Missing stops the test because service is not available: why says what
// was looked for, start names the script that starts it, e.g.
// ".ci/with-secret-service go test ./protector/...".
func Missing(t testing.TB, service, why, start string) {
	t.Helper()
	msg := service + " is not available (" + why + "); start it with: " + start
	if Required() {
		t.Fatalf("%s [%s=1 makes this a failure]", msg, EnvRequire)
	}
	t.Skip(msg)
}

// Env returns the value of the environment variable that locates service,
// or stops the test through Missing when it is unset.
func Env(t testing.TB, name, service, start string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, service, "$"+name+" is not set", start)
	}
	return v
}
