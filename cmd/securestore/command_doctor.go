package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/protector"
)

// doctorCommand is "securestore doctor"; its tests are in testdata/script/doctor.txtar.
var doctorCommand = &command{
	name:    "doctor",
	summary: "show how the store is protected, where its files are, and any problem",
	help: `Show how the store is protected and what that protection defends
against: the platform, the protector that holds the device key and why
each other protector was or was not chosen, whether the key unwraps,
the store's files and their modes, how many items each accessibility
class holds (never their names or values), and the lock state.

With --check it also reads the whole store: SQLite's integrity check of
the file, then every record, whose name and value must authenticate
(records of classes the passcode locks are counted as not checked). It
reports counts, never names or values.

It creates nothing: for an app without a store it says what a new one
would use. Exit status 4 when it found a problem (a key that does not
unwrap, a file others can read, a --protector the store does not have,
damage that --check found), listed on lines starting with PROBLEM.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var asJSON, check bool
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON, for scripts")
		fs.BoolVar(&check, "check", false, "also read every record and check the file's integrity")
		return func(ctx context.Context, inv *invocation, _ []string) error {
			return runDoctor(ctx, inv, asJSON, check)
		}
	},
}

// doctorReport is what doctor prints, and exactly what --json prints.
type doctorReport struct {
	Platform   string           `json:"platform"`
	Store      string           `json:"store"`
	Dir        string           `json:"dir"`
	Path       string           `json:"path"`
	Exists     bool             `json:"exists"`
	Protector  string           `json:"protector"`           // recorded, or what a new store would get
	Requested  string           `json:"requested"`           // "auto" or the name forced by --protector / $SECURESTORE_PROTECTOR
	Verdict    string           `json:"verdict"`             // what the key protection defends against
	KeyChecked bool             `json:"key_checked"`         // whether doctor tried to unwrap the device key
	KeyError   string           `json:"key_error,omitempty"` // why the device key does not unwrap, or was not checked
	Protectors []protectorEntry `json:"protectors"`
	Files      []fileEntry      `json:"files"`
	Items      map[string]int   `json:"items"` // per class, in the CLI's spelling
	ItemsTotal int              `json:"items_total"`
	Locked     bool             `json:"locked"`
	Check      *checkEntry      `json:"check,omitempty"` // with --check
	Problems   []string         `json:"problems"`
}

// checkEntry is what --check found.
type checkEntry struct {
	Integrity []string `json:"integrity"` // SQLite's integrity_check findings; empty when sound
	Items     int      `json:"items"`
	OK        int      `json:"ok"`
	Corrupt   int      `json:"corrupt"`
	Locked    int      `json:"not_checked_locked"`
}

type protectorEntry struct {
	Name      string `json:"name"`
	Available bool   `json:"available"`
	InUse     bool   `json:"in_use"`
	Why       string `json:"why"` // why it is or is not the one in use
}

type fileEntry struct {
	Path    string `json:"path"`
	Mode    string `json:"mode"`
	Problem string `json:"problem,omitempty"`
}

// errProblems is doctor's exit status 4 after a report with problems.
var errProblems = errors.New("doctor found problems (listed above)")

func runDoctor(ctx context.Context, inv *invocation, asJSON, check bool) error {
	info, err := securestore.Inspect(ctx, inv.config(), inv.global.group)
	if err != nil {
		return err
	}
	rep := doctorReport{
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Store:     info.Store,
		Dir:       info.Dir,
		Path:      info.Path,
		Exists:    info.Exists,
		Protector: info.Protector,
		Requested: info.Requested,
		Items:     map[string]int{},
		Locked:    info.Locked,
		Problems:  []string{},
	}
	if !info.Exists {
		rep.Protector = info.NewProtector
	}
	rep.Verdict = info.Verdict
	// A store that was not opened (others can read it: the files say
	// why) has no known protector or item counts.
	var perm *securestore.PermissionError
	unopened := info.Exists && errors.As(info.KeyErr, &perm)
	rep.KeyChecked = info.Exists && !unopened
	if info.KeyErr != nil {
		rep.KeyError = info.KeyErr.Error()
		if !unopened {
			rep.Problems = append(rep.Problems, "the device key does not unwrap: "+rep.KeyError)
		}
	}
	if info.Exists && info.Requested != protector.Auto && info.Requested != info.Protector {
		rep.Problems = append(rep.Problems, fmt.Sprintf(
			"the store is protected by %q but %q is asked for (--protector or $%s): it will not open until "+
				"you run: securestore migrate --to %s", info.Protector, info.Requested, securestore.EnvProtector, info.Requested))
	}
	probes := securestore.ProbeProtectors(ctx)
	inUse := slices.IndexFunc(probes, func(p protector.Probe) bool { return p.Name == rep.Protector })
	for i, p := range probes {
		e := protectorEntry{Name: p.Name, Available: p.Err == nil, InUse: i == inUse}
		switch {
		case e.InUse && info.Exists:
			e.Why = "in use: recorded in the store"
		case e.InUse:
			e.Why = "a new store would use it"
		case p.Err != nil:
			e.Why = "unavailable: " + strings.TrimPrefix(p.Err.Error(), p.Name+" protector: ")
		case inUse >= 0 && i < inUse:
			e.Why = "available and preferred: move the key there with: securestore migrate --to " + p.Name
		case rep.Protector == "":
			e.Why = "available"
		default:
			e.Why = "available, but ranks below " + rep.Protector
		}
		rep.Protectors = append(rep.Protectors, e)
	}
	for _, f := range info.Files {
		rep.Files = append(rep.Files, fileEntry{Path: f.Path, Mode: fmt.Sprintf("%04o", f.Mode.Perm()), Problem: f.Problem})
		if f.Problem != "" {
			rep.Problems = append(rep.Problems, f.Path+": "+f.Problem)
		}
	}
	for c, n := range info.Items {
		name := c.Kebab()
		if _, err := securestore.ParseAccessibility(name); err != nil {
			name = fmt.Sprintf("unknown-class-%d", int(c))
		}
		rep.Items[name] = n
		rep.ItemsTotal += n
	}

	if check && rep.Exists && rep.KeyChecked && rep.KeyError == "" {
		rep.Check = &checkEntry{Integrity: []string{}}
		if err := inv.withStore(ctx, func(s *securestore.Store) error { return runCheck(ctx, inv, s, &rep) }); err != nil {
			rep.Problems = append(rep.Problems, "the store does not open: "+err.Error())
		}
	}

	if asJSON {
		enc := json.NewEncoder(inv.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := printDoctor(inv.stdout, &rep); err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return errProblems
	}
	return nil
}

func printDoctor(w io.Writer, r *doctorReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "platform:   %s\n", r.Platform)
	if r.Exists {
		fmt.Fprintf(&b, "store:      %s in %s\n", r.Store, r.Path)
		p := r.Protector
		if p == "" {
			p = "unknown"
		}
		fmt.Fprintf(&b, "protector:  %s\n", p)
	} else {
		fmt.Fprintf(&b, "store:      %s: none yet in %s (the first set creates it)\n", r.Store, r.Dir)
		fmt.Fprintf(&b, "protector:  %s for a new store (%s)\n", r.Protector, r.Requested)
	}
	fmt.Fprintf(&b, "verdict:    %s\n", r.Verdict)
	if r.Exists {
		key := "unwraps"
		switch {
		case !r.KeyChecked:
			key = "not checked: the store was not opened"
		case r.KeyError != "":
			key = "does NOT unwrap: " + r.KeyError
		}
		fmt.Fprintf(&b, "device key: %s\n", key)
	}
	fmt.Fprintf(&b, "protectors, in the order auto tries them:\n")
	for _, p := range r.Protectors {
		fmt.Fprintf(&b, "  %-14s %s\n", p.Name, p.Why)
	}
	if len(r.Files) > 0 {
		fmt.Fprintf(&b, "files:\n")
		for _, f := range r.Files {
			fmt.Fprintf(&b, "  %s  %s\n", f.Mode, f.Path)
		}
	}
	if r.Exists {
		var parts []string
		for _, name := range accessibleNames() {
			if n := r.Items[name]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", name, n))
			}
		}
		if !r.KeyChecked {
			fmt.Fprintf(&b, "items:      unknown: the store was not opened\n")
		} else {
			fmt.Fprintf(&b, "items:      %d", r.ItemsTotal)
			if len(parts) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
			}
			fmt.Fprintf(&b, "\n")
		}
		lock := "unlocked (no passcode is set)"
		if r.Locked {
			lock = "locked"
		}
		fmt.Fprintf(&b, "lock:       %s\n", lock)
	}
	if c := r.Check; c != nil {
		integrity := "ok"
		if len(c.Integrity) > 0 {
			integrity = fmt.Sprintf("%d findings", len(c.Integrity))
		}
		fmt.Fprintf(&b, "check:      integrity %s; records %d: ok %d, corrupt %d, not checked (locked) %d\n",
			integrity, c.Items, c.OK, c.Corrupt, c.Locked)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "PROBLEM:    %s\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// runCheck is --check: Store.Check on the store, into rep.
func runCheck(ctx context.Context, inv *invocation, s *securestore.Store, rep *doctorReport) error {
	c, err := s.Check(ctx, inv.global.group)
	if err != nil {
		return err
	}
	rep.Check = &checkEntry{Integrity: append([]string{}, c.Integrity...), Items: c.Items, OK: c.OK, Corrupt: c.Corrupt, Locked: c.Locked}
	for _, f := range c.Integrity {
		rep.Problems = append(rep.Problems, "integrity check: "+f)
	}
	if c.Corrupt > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d of %d records do not authenticate", c.Corrupt, c.Items))
	}
	if c.ScanErr != nil {
		rep.Problems = append(rep.Problems, "reading the records stopped: "+c.ScanErr.Error())
	}
	return nil
}
