package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
	"github.com/securestore-go/securestore/cmd/internal/credential/docker"
	"github.com/securestore-go/securestore/cmd/internal/credential/git"
	"github.com/securestore-go/securestore/internal/fsutil"
)

// The import commands move plain-text credentials into the stores that
// the credential helpers use. They parse the whole file first and stop
// at the first line or entry that is not a credential; they store every
// credential, read each one back, and only then remove the plain text. A
// failure at any point leaves the file as it was.

// errBadImportFile is wrapped by the error of an import whose file has
// lines or entries that are not credentials: exit status 2.
var errBadImportFile = errors.New("the file has entries that are not credentials")

func runImportGitCredentials(ctx context.Context, inv *invocation, args []string) error {
	const cmd = "import-git-credentials"
	path := args[0]
	if err := onlyFlags(inv, cmd, "--app"); err != nil {
		return err
	}
	app := inv.global.app
	if app == "" {
		app = git.DefaultApp
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	entries, problems := git.ParseCredentialsFile(string(data))
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(inv.stderr, "securestore: %s: %s: %v\n", cmd, path, p)
		}
		return fmt.Errorf("%s: %w (%d); nothing was imported and %s is left as it was", cmd, errBadImportFile, len(problems), path)
	}
	if len(entries) == 0 {
		fmt.Fprintf(inv.stdout, "%s holds no credentials; nothing to import.\n", path)
		return nil
	}
	// The store is closed, and a failing Close reported, before the plain
	// text goes.
	var n int
	err = credential.WithStore(ctx, securestore.Config{App: app, Dir: inv.global.dir, Protector: inv.global.protector}, func(s *securestore.Store) error {
		var ierr error
		if n, ierr = (&git.Helper{Items: s, App: app}).Import(ctx, entries); ierr != nil {
			return fmt.Errorf("%s: %w; %s is left as it was", cmd, ierr, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.ShadowedBy != 0 {
			fmt.Fprintf(inv.stderr, "securestore: %s: %s: line %d has the protocol, host, path and user of line %d, which git uses; it was not imported\n",
				cmd, path, e.Line, e.ShadowedBy)
		}
	}
	fmt.Fprintf(inv.stdout, "Imported %d credentials from %s into app %q (service %q).\n", n, path, app, git.Service)
	if !inv.keepFile {
		if err := removePlainText(path); err != nil {
			return fmt.Errorf("%s: the credentials are imported, but removing %s failed: %w", cmd, path, err)
		}
		fmt.Fprintf(inv.stdout, "Removed %s.\n", path)
	}
	helper := "securestore"
	if app != git.DefaultApp {
		helper += " --app " + app
	}
	fmt.Fprintf(inv.stdout, "Tell git to use them: git config --global credential.helper '%s'\n", helper)
	return nil
}

func runImportDockerConfig(ctx context.Context, inv *invocation, args []string) error {
	const cmd = "import-docker-config"
	path := args[0]
	if err := onlyFlags(inv, cmd); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cfg, problems, err := docker.ParseConfig(data)
	if err != nil {
		return fmt.Errorf("%s: %s: %w: %w; nothing was imported", cmd, path, errBadImportFile, err)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(inv.stderr, "securestore: %s: %s: %v\n", cmd, path, p)
		}
		return fmt.Errorf("%s: %w (%d); nothing was imported and %s is left as it was", cmd, errBadImportFile, len(problems), path)
	}
	// The store is closed, and a failing Close reported, before the file
	// is rewritten.
	err = credential.WithStore(ctx, securestore.Config{App: docker.App, Dir: inv.global.dir, Protector: inv.global.protector}, func(s *securestore.Store) error {
		if err := (&docker.Helper{Items: s}).Import(ctx, cfg); err != nil {
			return fmt.Errorf("%s: %w; %s is left as it was", cmd, err, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(inv.stdout, "Imported %d credentials from %s into app %q (service %q).\n", len(cfg.Credentials), path, docker.App, docker.Service)
	if inv.keepFile {
		return nil
	}
	rewritten, previous, err := cfg.WithoutCredentials()
	if err != nil {
		return err
	}
	if err := replaceFile(path, rewritten); err != nil {
		return fmt.Errorf("%s: the credentials are imported, but rewriting %s failed: %w", cmd, path, err)
	}
	fmt.Fprintf(inv.stdout, "Removed them from %s and set \"credsStore\": %q.\n", path, docker.CredsStore)
	if previous != "" {
		fmt.Fprintf(inv.stdout, "It was %q: docker now uses docker-credential-%s instead of docker-credential-%s.\n", previous, docker.CredsStore, previous)
	}
	return nil
}

// onlyFlags refuses the global flags that an import command does not use
// (all but allowed): the helpers' app, service and class are fixed, and
// silently ignoring a flag would put credentials where the user does not
// expect them.
func onlyFlags(inv *invocation, cmd string, allowed ...string) error {
	used := map[string]bool{
		"--app":        inv.global.app != "",
		"--service":    inv.global.service != "",
		"--group":      inv.global.group != "",
		"--accessible": inv.global.accessible.name != "",
	}
	for _, name := range []string{"--app", "--service", "--group", "--accessible"} {
		if used[name] && !slices.Contains(allowed, name) {
			return &usageError{command: cmd, msg: name + " does not apply: the credential helper decides where its credentials live"}
		}
	}
	return nil
}

// removePlainText removes the file at path, and the file it links to when
// it is a symbolic link: removing only the link would leave the plain text.
func removePlainText(path string) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	if err := os.Remove(target); err != nil {
		return err
	}
	if target != path {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return fsutil.SyncDir(filepath.Dir(target))
}

// replaceFile replaces the file at path (or the file it links to) with
// data, durably and atomically: readers see the old file or the new one.
func replaceFile(path string, data []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".securestore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	return fsutil.SyncDir(dir)
}
