package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/protector"
)

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
	Problems   []string         `json:"problems"`
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

func runDoctor(ctx context.Context, inv *invocation, _ []string) error {
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
	probes := securestore.Protectors().ProbeAll(ctx)
	if !info.Exists {
		// What Open would pick for a new store.
		rep.Protector = info.Requested
		if info.Requested == protector.Auto {
			rep.Protector = ""
			for _, p := range probes {
				if p.Err == nil {
					rep.Protector = p.Name
					break
				}
			}
		}
	}
	// A store that was not opened (others can read it: the files say
	// why) has no known protector or item counts.
	var perm *securestore.PermissionError
	unopened := info.Exists && errors.As(info.KeyErr, &perm)
	switch {
	case unopened:
		rep.Verdict = "unknown: the store was not opened, because others can read its files"
	default:
		rep.Verdict = verdict(rep.Protector, protector.Scope{Dir: info.Dir, Store: storeID(inv)})
	}
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
		name := fmt.Sprintf("unknown-class-%d", int(c))
		if c >= 0 && int(c) < len(accessibilityNames) {
			name = accessibilityNames[c]
		}
		rep.Items[name] = n
		rep.ItemsTotal += n
	}

	if inv.json {
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

// storeID is the protector scope's store name for the store doctor looks at.
func storeID(inv *invocation) string {
	if inv.global.group != "" {
		return "group:" + inv.global.group
	}
	return "app:" + inv.app()
}

// verdict is the protector's own one-line verdict, if it has one.
func verdict(name string, scope protector.Scope) string {
	p, err := securestore.Protectors().Lookup(name)
	if err != nil {
		return "no protector is available: a store cannot be created here"
	}
	if d, ok := p.(protector.Describer); ok {
		return d.Describe(scope).Verdict
	}
	return "the " + name + " protector does not describe what it defends against"
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
		for _, name := range accessibilityNames {
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
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "PROBLEM:    %s\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func runMigrate(ctx context.Context, inv *invocation, _ []string) error {
	if inv.migrateTo == "" {
		return &usageError{command: "migrate", msg: "missing --to NAME"}
	}
	done, err := securestore.Migrate(ctx, inv.config(), inv.migrateTo)
	for _, m := range done {
		if m.From == m.To {
			fmt.Fprintf(inv.stdout, "%s: already protected by %s\n", m.Store, m.To)
			continue
		}
		fmt.Fprintf(inv.stdout, "%s: moved from %s to %s\n", m.Store, m.From, m.To)
		if m.CleanupErr != nil {
			fmt.Fprintf(inv.stderr, "securestore: %s: the old %s key material was left behind: %v\n", m.Store, m.From, m.CleanupErr)
		}
	}
	return err
}
