package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// versionCommand is "securestore version", also spelt --version; its
// tests are in testdata/script/version.txtar.
var versionCommand = &command{
	name:    "version",
	summary: "print the version of securestore (also --version)",
	help: `Print the module version securestore was built from, as Go's build
information records it ("go install ...@v1.2.3" gives v1.2.3), or
"(devel)" for a build from a checkout.`,
	setup: noFlags(func(_ context.Context, inv *invocation, _ []string) error {
		_, err := fmt.Fprintf(inv.stdout, "securestore %s\n", moduleVersion())
		return err
	}),
}

// moduleVersion is the main module's version from the build information,
// or "(devel)" when it is unknown.
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
