package main

import (
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"

	"github.com/securestore-go/securestore"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		args     []string
		wantName string
		wantRest []string
	}{
		{nil, "", nil},
		{[]string{"get", "k"}, "get", []string{"k"}},
		{[]string{"--app", "x", "get", "k"}, "get", []string{"--app", "x", "k"}},
		{[]string{"--app=x", "get", "--service", "s", "k"}, "get", []string{"--app=x", "--service", "s", "k"}},
		{[]string{"--", "get", "k"}, "get", []string{"--", "k"}},
		{[]string{"--app", "--", "get", "k"}, "get", []string{"--app", "--", "k"}}, // "--" is the app
		{[]string{"--app", "x"}, "", nil},
	}
	for _, tt := range tests {
		name, rest, err := splitCommand(tt.args)
		if err != nil || name != tt.wantName || !slices.Equal(rest, tt.wantRest) {
			t.Errorf("splitCommand(%q) = %q, %q, %v; want %q, %q, nil", tt.args, name, rest, err, tt.wantName, tt.wantRest)
		}
	}
	if _, _, err := splitCommand([]string{"--help", "get"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("splitCommand(--help get) error = %v, want flag.ErrHelp", err)
	}
	if _, _, err := splitCommand([]string{"-n", "get"}); err == nil {
		t.Errorf("splitCommand(-n get) succeeded; -n is get's flag, not a global one")
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args           []string
		wantPositional []string
		wantApp        string
		wantNoNewline  bool
	}{
		{[]string{"k"}, []string{"k"}, "", false},
		{[]string{"k", "--app", "x"}, []string{"k"}, "x", false},
		{[]string{"--app=x", "k"}, []string{"k"}, "x", false},
		{[]string{"-n", "k", "-app", "x"}, []string{"k"}, "x", true},
		{[]string{"a", "-n", "b", "--no-newline=false", "c"}, []string{"a", "b", "c"}, "", false},
		{[]string{"--", "-k", "--app", "x"}, []string{"-k", "--app", "x"}, "", false},
		{[]string{"k", "--", "--app", "x"}, []string{"k", "--app", "x"}, "", false},
		// "--" as a flag's value does not end the flags...
		{[]string{"--app", "--", "k", "-n"}, []string{"k"}, "--", true},
		// ...but a "--" after it does, whatever the value before looks like.
		{[]string{"--app", "--service", "--", "-n"}, []string{"-n"}, "--service", false},
		{[]string{"-n", "--", "-n"}, []string{"-n"}, "", true},
		{[]string{"-"}, []string{"-"}, "", false},
		{nil, nil, "", false},
	}
	for _, tt := range tests {
		inv := &invocation{}
		fs := newFlagSet("get")
		inv.global.register(fs)
		// get's own flags: -n and --no-newline, both boolean.
		var noNewline bool
		fs.BoolVar(&noNewline, "n", false, "")
		fs.BoolVar(&noNewline, "no-newline", false, "")
		positional, err := parseInterspersed(fs, tt.args)
		if err != nil || !slices.Equal(positional, tt.wantPositional) || inv.global.app != tt.wantApp || noNewline != tt.wantNoNewline {
			t.Errorf("parseInterspersed(%q) = %q, %v with app %q, noNewline %v; want %q, nil with app %q, noNewline %v",
				tt.args, positional, err, inv.global.app, noNewline, tt.wantPositional, tt.wantApp, tt.wantNoNewline)
		}
	}
}

func TestParseInterspersedErrors(t *testing.T) {
	for _, args := range [][]string{
		{"k", "--bogus"},
		{"k", "--app"},
		{"--accessible", "sometimes", "k"},
	} {
		inv := &invocation{}
		fs := newFlagSet("get")
		inv.global.register(fs)
		if _, err := parseInterspersed(fs, args); err == nil {
			t.Errorf("parseInterspersed(%q) succeeded, want an error", args)
		}
	}
	fs := newFlagSet("get")
	new(globalFlags).register(fs)
	if _, err := parseInterspersed(fs, []string{"k", "--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseInterspersed(k --help) error = %v, want flag.ErrHelp", err)
	}
}

// TestAccessibleClasses checks that --accessible offers every class of
// the library once, and the help's claims about each: only the Always
// classes need no passcode, and "this device only" is what ThisDeviceOnly
// says.
func TestAccessibleClasses(t *testing.T) {
	seen := map[securestore.Accessibility]bool{}
	for i, c := range accessibleClasses {
		name := c.class.Kebab()
		var f accessibilityFlag
		if err := f.Set(name); err != nil || f.class != c.class || seen[c.class] {
			t.Errorf("--accessible %s = %v, %v (seen before: %v); want %v", name, f.class, err, seen[c.class], c.class)
		}
		seen[c.class] = true
		note := accessibleNote(i)
		noPasscode := c.class == securestore.Always || c.class == securestore.AlwaysThisDeviceOnly
		if got := strings.HasPrefix(note, "no passcode"); got != noPasscode {
			t.Errorf("%s: the help says %q", name, note)
		}
		if got := strings.HasSuffix(note, "this device only"); got != c.class.ThisDeviceOnly() {
			t.Errorf("%s: the help says %q, but ThisDeviceOnly is %v", name, note, c.class.ThisDeviceOnly())
		}
	}
	if got, want := len(seen), int(securestore.AlwaysThisDeviceOnly)+1; got != want {
		t.Errorf("%d classes offered, want %d", got, want)
	}
}
