//go:build securestore_sync

package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/syncgroup"
)

// This file is the sync command: the store's membership of a sync group
// on etcd (package syncgroup, docs/SYNC.md). Sync runs in this process:
// `sync run` keeps the store in sync until it is stopped.
//
// It is built only with -tags securestore_sync for now: the etcd client
// brings google.golang.org/protobuf, whose init opens the program's own
// file, which starts the runtime's poller and leaves its descriptors open
// (6 and 7) before main runs, where --passcode-fd's check that a
// descriptor was passed to us would take them for ours. Until that check
// tells the runtime's descriptors apart (or sync moves into the agent),
// the default binary stays without it.

func init() {
	i := slices.IndexFunc(commands, func(c *command) bool { return c.name == "version" })
	commands = slices.Insert(commands, i, syncCommand)
}

// syncCommand is "securestore sync"; its tests are in testdata/script/sync.txtar.
var syncCommand = &command{
	name:    "sync",
	args:    []string{"ACTION"},
	actions: syncActions,
	summary: "synchronize synchronizable items through etcd (create, join, approve, revoke, status, run)",
	help: `Keep the store's synchronizable items (set by programs with
Options.Synchronizable) the same on every device of a sync group. The
group lives under a key prefix of an etcd cluster, which sees only
ciphertext: values and names are sealed on the device (docs/SYNC.md).

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
read from --password-file, never from the command line.`,
	moreArgs: true,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		o := &syncFlags{}
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
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runSync(ctx, inv, o, args)
		}
	},
}

var syncActions = []string{"create", "join", "approve", "revoke", "status", "run"}

type syncFlags struct {
	endpoints, prefix, cacert, cert, key, user, passwordFile, name string
	wait, timeout                                                  time.Duration
	once, asJSON                                                   bool
}

// syncSaved is what create and join keep in the store for the other
// actions (setting "cli"): where the group is, never a password.
type syncSaved struct {
	Endpoints []string `json:"endpoints"`
	Prefix    string   `json:"prefix"`
	CACert    string   `json:"cacert,omitempty"`
	Cert      string   `json:"cert,omitempty"`
	Key       string   `json:"key,omitempty"`
	User      string   `json:"user,omitempty"`
}

func runSync(ctx context.Context, inv *invocation, o *syncFlags, args []string) error {
	action := args[0]
	want := map[string]int{"approve": 2, "revoke": 2}[action]
	if want == 0 {
		want = 1
	}
	if len(args) != want {
		return &usageError{command: "sync", msg: fmt.Sprintf("sync %s takes %d argument(s)", action, want-1)}
	}
	return inv.withStore(ctx, func(s *securestore.Store) error {
		cfg, err := o.config(ctx, s, inv.global.group, action == "create" || action == "join")
		if err != nil {
			return err
		}
		g, err := syncgroup.Open(ctx, s, cfg)
		if err != nil {
			return err
		}
		defer g.Close()
		switch action {
		case "create":
			if err := g.Create(ctx); err != nil {
				return err
			}
			fmt.Fprintf(inv.stdout, "created the sync group at %s; this device is %s\n", cfg.Prefix, g.Code())
			return nil
		case "join":
			code, err := g.Join(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(inv.stdout, "join code: %s\non a member, run: securestore sync approve %s\n", code, code)
			if o.wait > 0 {
				wctx, cancel := context.WithTimeout(ctx, o.wait)
				defer cancel()
				if err := g.WaitMember(wctx); err != nil {
					return fmt.Errorf("not approved within %v (sync run picks the key up later): %w", o.wait, err)
				}
				fmt.Fprintln(inv.stdout, "approved")
			}
			return nil
		case "approve":
			if err := g.Approve(ctx, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(inv.stdout, "approved %s\n", strings.ToUpper(args[1]))
			return nil
		case "revoke":
			if err := g.Revoke(ctx, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(inv.stdout, "revoked %s; the group key is rotated\n", args[1])
			return nil
		case "status":
			st, err := g.Status(ctx)
			if err != nil {
				return err
			}
			if o.asJSON {
				return writeJSON(inv.stdout, st)
			}
			printSyncStatus(inv, st)
			return nil
		default: // run
			if o.once {
				return g.Sync(ctx)
			}
			return g.Run(ctx)
		}
	})
}

func printSyncStatus(inv *invocation, st *syncgroup.Status) {
	w := inv.stdout
	fmt.Fprintf(w, "group:     %s at %s (key epoch %d)\n", st.Group, st.Prefix, st.Epoch)
	fmt.Fprintf(w, "device:    %s (%s), member: %v\n", st.Code, st.Device, st.Member)
	fmt.Fprintf(w, "revision:  %d applied\n", st.Revision)
	fmt.Fprintf(w, "pending:   %d local changes waiting to be pushed (%d for Unlock)\n", st.Pending, st.Locked)
	fmt.Fprintf(w, "waiting:   %d remote changes waiting for a key\n", st.Waiting)
	if st.EtcdErr != "" {
		fmt.Fprintf(w, "devices:   unknown (%s)\n", st.EtcdErr)
	} else {
		fmt.Fprintf(w, "devices:   %d\n", len(st.Devices))
		for _, d := range st.Devices {
			state := "waiting for approval"
			if d.Approved {
				state = "approved"
			}
			fmt.Fprintf(w, "  %s %s %s\n", d.Code, state, d.Name)
		}
	}
	for _, e := range st.Errors {
		fmt.Fprintf(w, "error:     %s rev %d: %s\n", e.Time.Format(time.RFC3339), e.Rev, e.Error)
	}
}

// config builds the group's Config from the flags (create, join: and
// keeps it) or from what create or join kept.
func (o *syncFlags) config(ctx context.Context, s *securestore.Store, group string, fresh bool) (syncgroup.Config, error) {
	rep, err := s.SyncReplica(ctx, group)
	if err != nil {
		return syncgroup.Config{}, err
	}
	var saved syncSaved
	if fresh {
		if o.endpoints == "" || o.prefix == "" {
			return syncgroup.Config{}, &usageError{command: "sync", msg: "create and join need --endpoints and --prefix"}
		}
		saved = syncSaved{Endpoints: strings.Split(o.endpoints, ","), Prefix: o.prefix, CACert: o.cacert, Cert: o.cert, Key: o.key, User: o.user}
		b, _ := json.Marshal(saved)
		if err := rep.SetSetting(ctx, map[string][]byte{"cli": b}); err != nil {
			return syncgroup.Config{}, err
		}
	} else {
		b, err := rep.Setting(ctx, "cli")
		if errors.Is(err, securestore.ErrNotFound) {
			return syncgroup.Config{}, fmt.Errorf("%w: this store has not created or joined one (securestore sync create|join)", syncgroup.ErrNoGroup)
		}
		if err != nil {
			return syncgroup.Config{}, err
		}
		if err := json.Unmarshal(b, &saved); err != nil {
			return syncgroup.Config{}, fmt.Errorf("%w: the saved sync settings: %v", securestore.ErrCorrupt, err)
		}
	}
	cfg := syncgroup.Config{Endpoints: saved.Endpoints, Prefix: saved.Prefix, AccessGroup: group, Username: saved.User,
		DeviceName: o.name, CallTimeout: o.timeout, DialTimeout: o.timeout}
	if saved.CACert != "" || saved.Cert != "" {
		if cfg.TLS, err = tlsConfig(saved); err != nil {
			return cfg, err
		}
	}
	if o.passwordFile != "" {
		if cfg.Password, err = readPasswordFile(o.passwordFile); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func tlsConfig(s syncSaved) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.CACert != "" {
		pem, err := os.ReadFile(s.CACert)
		if err != nil {
			return nil, err
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", s.CACert)
		}
	}
	if s.Cert != "" {
		pair, err := tls.LoadX509KeyPair(s.Cert, s.Key)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// readPasswordFile reads the first line of a file that only its owner can
// read.
func readPasswordFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return "", err
	} else if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s: mode %v lets others read the password; chmod 600 it", path, fi.Mode().Perm())
	}
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("%s: no password line", path)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
