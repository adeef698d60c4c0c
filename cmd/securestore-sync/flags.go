package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
)

// actions are the first argument's words, in the order of the help;
// actionArgs the arguments each takes after it.
var actions = []string{"create", "join", "approve", "revoke", "status", "run"}

var actionArgs = map[string][]string{
	"create": nil, "join": nil, "approve": {"CODE"}, "revoke": {"DEVICE"}, "status": nil, "run": nil,
}

// syncFlags are the command line's flags: the store's (the same names as
// securestore's global flags, which "securestore --app x sync ..." passes
// on) and the group's.
type syncFlags struct {
	app, dir, group, protector string

	endpoints, prefix, cacert, cert, key, user, passwordFile, name string
	wait, timeout                                                  time.Duration
	once, asJSON                                                   bool
}

func (o *syncFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.app, "app", "", "use the store of app `NAME` (default $SECURESTORE_APP, else \"default\")")
	fs.StringVar(&o.dir, "dir", "", "keep the stores in `DIR` (default $SECURESTORE_DIR, else the per-user data directory)")
	fs.StringVar(&o.group, "group", "", "use the shared access group `NAME` instead of the app's own store")
	fs.StringVar(&o.protector, "protector", "", "protect a new store's device key with `NAME` (default $SECURESTORE_PROTECTOR, else \"auto\")")

	fs.StringVar(&o.endpoints, "endpoints", "", "create, join: etcd endpoints, comma separated (host:port or URL)")
	fs.StringVar(&o.prefix, "prefix", "", "create, join: the group's etcd key prefix, e.g. /securestore/team/")
	fs.StringVar(&o.cacert, "cacert", "", "a CA bundle (PEM) to verify etcd's TLS certificate; turns TLS on")
	fs.StringVar(&o.cert, "cert", "", "a client certificate (PEM) for etcd, with --key")
	fs.StringVar(&o.key, "key", "", "the client certificate's private key (PEM)")
	fs.StringVar(&o.user, "user", "", "etcd user name")
	fs.StringVar(&o.passwordFile, "password-file", "", "a file whose first line is the etcd user's password (mode 0600)")
	fs.StringVar(&o.name, "name", "", "create, join: this device's label in status (published in clear)")
	fs.DurationVar(&o.wait, "wait", 0, "join: wait this long for a member's approval")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "the deadline of each etcd call")
	fs.BoolVar(&o.once, "once", false, "run: one round, then exit")
	fs.BoolVar(&o.asJSON, "json", false, "status: print the status as one line of JSON (docs/CLI-JSON.md)")
}

// storeConfig is the securestore.Config of the store the flags name,
// picked as securestore picks it (an empty Dir or Protector lets the
// library read its environment variables).
func (o *syncFlags) storeConfig() securestore.Config {
	cfg := securestore.Config{App: o.app, Dir: o.dir, Protector: o.protector}
	if cfg.App == "" {
		cfg.App = envOr("SECURESTORE_APP", "default")
	}
	if o.group != "" {
		// The CLI acts for whoever runs it, so it entitles itself to
		// the group it is asked to use (as securestore does).
		cfg.AccessGroups = []string{o.group}
	}
	return cfg
}

const help = `Usage: securestore sync [flags] create|join|approve|revoke|status|run [ARG]

Keep the store's synchronizable items (set by programs with
Options.Synchronizable, or by "securestore set --synchronizable") the
same on every device of a sync group. The group lives under a key prefix
of an etcd cluster, which sees only ciphertext: values and names are
sealed on the device (docs/SYNC.md).

  create            make a new group at --prefix, with this device in it
  join              publish this device's key and print its join code
  approve CODE      on a member: give the group key to the device whose
                    join code is CODE (compare the whole code)
  revoke DEVICE     remove a device (id or code) and rotate the group key
  status            the group, its devices, the revision applied, the
                    changes waiting to be pushed, the latest errors
  run               keep the store in sync until interrupted (--once: one
                    round, then exit)

create and join take --endpoints and --prefix (and the TLS and user
flags); the store keeps them for the other actions. An etcd password is
read from --password-file, never from the command line.

This is the program securestore-sync, which "securestore sync" runs; it
is separate so that the etcd client it links costs no other securestore
command its start-up time.

Exit status: 0 success, 2 bad usage, 3 the store is locked, 4 any other
failure (etcd unreachable, a corrupt record), 130 interrupted.

Flags:
`

func printHelp(w io.Writer, fs *flag.FlagSet) {
	io.WriteString(w, help)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
	})
}
