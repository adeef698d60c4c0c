package securestore

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"
)

func TestResolveDefaults(t *testing.T) {
	t.Setenv(EnvDir, "")
	t.Setenv(EnvProtector, "")
	t.Setenv("XDG_DATA_HOME", "/xdg/data")
	t.Setenv("HOME", "/home/u")
	r, err := Config{App: "a"}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.maxValue != DefaultMaxValueBytes || r.protector != "auto" {
		t.Errorf("defaults: maxValue %d protector %q", r.maxValue, r.protector)
	}
	if runtime.GOOS == "linux" && r.dir != "/xdg/data/securestore" {
		t.Errorf("dir = %q, want $XDG_DATA_HOME/securestore", r.dir)
	}
	t.Setenv("XDG_DATA_HOME", "relative/ignored")
	if d, _ := DefaultDir(); runtime.GOOS == "linux" && d != "/home/u/.local/share/securestore" {
		t.Errorf("DefaultDir with a relative XDG_DATA_HOME = %q", d)
	}

	t.Setenv(EnvDir, "/env/dir")
	t.Setenv(EnvProtector, "file")
	r, err = Config{App: "a"}.resolve()
	if err != nil || r.dir != filepath.FromSlash("/env/dir") || r.protector != "file" {
		t.Errorf("env: %+v, %v", r, err)
	}
	r, err = Config{App: "a", Dir: "rel"}.resolve()
	if err != nil || !filepath.IsAbs(r.dir) {
		t.Errorf("a relative Dir must become absolute: %q, %v", r.dir, err)
	}
}

func TestResolveRejects(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want error
	}{
		{Config{}, ErrInvalidKey},
		{Config{App: "a b"}, ErrInvalidKey},
		{Config{App: "a", AccessGroups: []string{"ok", "not ok"}}, ErrInvalidKey},
		{Config{App: "a", MaxValueBytes: -1}, ErrInvalidOption},
		{Config{App: "a", MaxValueBytes: MaxValueBytesLimit + 1}, ErrInvalidOption},
		{Config{App: "a", Protector: "no-such-protector"}, ErrInvalidOption},
	} {
		if _, err := c.cfg.resolve(); !errors.Is(err, c.want) {
			t.Errorf("resolve(%+v) = %v, want %v", c.cfg, err, c.want)
		}
	}
}
