package bench

import (
	"fmt"
	"os"
)

// EnvThrowawaySecretService is set to 1 by .ci/with-secret-service: the
// session bus is a private one with a throwaway gnome-keyring. Without it
// the harness leaves the Secret Service alone — on a desktop it is the
// user's own keyring, which the harness would fill with thousands of items.
const EnvThrowawaySecretService = "SECURESTORE_TEST_SECRET_SERVICE"

// keyringBacking is where go-keyring and secret-tool keep the harness's
// items: the default ("login") collection, attributes service=Service and
// username=KEY. Both adapters use these attributes, so they share items.
const keyringBacking = "gnome-keyring:login:" + Service

// keyringMaxItemsWhy is why the keyring peers stop at a smaller size.
const keyringMaxItemsWhy = "gnome-keyring re-encrypts and rewrites its whole keyring file on every change, " +
	"so each Set or Delete costs time in proportion to the items it holds and filling is quadratic " +
	"(see the fill times)"

// needThrowawaySecretService fails unless the Secret Service on the
// session bus is a throwaway one.
func needThrowawaySecretService() error {
	if os.Getenv(EnvThrowawaySecretService) != "1" {
		return fmt.Errorf("$%s is not 1: the session bus may be your own keyring (run under .ci/with-secret-service, as bench/run.sh does)", EnvThrowawaySecretService)
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return fmt.Errorf("$DBUS_SESSION_BUS_ADDRESS is not set")
	}
	return nil
}
