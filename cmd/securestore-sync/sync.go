package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
	"github.com/securestore-go/securestore/internal/fsutil"
	"github.com/securestore-go/securestore/syncgroup"
)

// This file does the actions: the store's membership of a sync group on
// etcd (package syncgroup, docs/SYNC.md). Sync runs in this process:
// "run" keeps the store in sync until it is stopped.

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

func runSync(ctx context.Context, stdout io.Writer, o *syncFlags, args []string) error {
	action := args[0]
	fresh := action == "create" || action == "join"
	if fresh && (o.endpoints == "" || o.prefix == "") {
		// Before the store is opened: a usage error creates nothing.
		return &usageError{msg: "create and join need --endpoints and --prefix"}
	}
	return credential.WithStore(ctx, o.storeConfig(), func(s *securestore.Store) error {
		cfg, err := o.config(ctx, s, fresh)
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
			fmt.Fprintf(stdout, "created the sync group at %s; this device is %s\n", cfg.Prefix, g.Code())
			return nil
		case "join":
			code, err := g.Join(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "join code: %s\non a member, run: securestore sync approve %s\n", code, code)
			if o.wait > 0 {
				wctx, cancel := context.WithTimeout(ctx, o.wait)
				defer cancel()
				if err := g.WaitMember(wctx); err != nil {
					return fmt.Errorf("not approved within %v (sync run picks the key up later): %w", o.wait, err)
				}
				fmt.Fprintln(stdout, "approved")
			}
			return nil
		case "approve":
			if err := g.Approve(ctx, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "approved %s\n", strings.ToUpper(args[1]))
			return nil
		case "revoke":
			if err := g.Revoke(ctx, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %s; the group key is rotated\n", args[1])
			return nil
		case "status":
			st, err := g.Status(ctx)
			if err != nil {
				return err
			}
			if o.asJSON {
				return json.NewEncoder(stdout).Encode(st)
			}
			printStatus(stdout, st)
			return nil
		default: // run
			if o.once {
				return g.Sync(ctx)
			}
			return g.Run(ctx)
		}
	})
}

func printStatus(w io.Writer, st *syncgroup.Status) {
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
func (o *syncFlags) config(ctx context.Context, s *securestore.Store, fresh bool) (syncgroup.Config, error) {
	rep, err := s.SyncReplica(ctx, o.group)
	if err != nil {
		return syncgroup.Config{}, err
	}
	var saved syncSaved
	if fresh {
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
	cfg := syncgroup.Config{Endpoints: saved.Endpoints, Prefix: saved.Prefix, AccessGroup: o.group, Username: saved.User,
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
// read and that this user owns (fsutil.CheckPrivate, as for the store's
// own files): a file another user owns could hand us their password.
func readPasswordFile(path string) (string, error) {
	if err := fsutil.CheckPrivate(path); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("%s: no password line", path)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// envOr is $name, or def when it is empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
