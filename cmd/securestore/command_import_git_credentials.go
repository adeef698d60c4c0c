package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
	"github.com/securestore-go/securestore/cmd/internal/credential/git"
)

// importGitCredentialsCommand is "securestore import-git-credentials"; its tests are in testdata/script/import_git_credentials.txtar.
var importGitCredentialsCommand = &command{
	name:    "import-git-credentials",
	args:    []string{"FILE"},
	summary: "move git's plain-text credentials (~/.git-credentials) in",
	help: `Move the credentials of FILE, a ~/.git-credentials file of git
credential-store (lines https://user:password@host[:port][/path],
percent-encoded), into the store of git-credential-securestore: app
"git-credential" (or --app, as in the helper string "securestore --app
NAME"), service "git". Then tell git to use it:

    git config --global credential.helper securestore

Every line must be a credential. A line that is not is reported by its
number (never its content), and then nothing is imported and FILE is left
as it was (exit status 2). Otherwise every credential is stored and read
back, and only then is FILE removed (with --keep, left in place). A
credential replaces a stored one with the same protocol, host, path and
user; of two such lines, the first is the one git used and the one
imported.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var keep bool
		fs.BoolVar(&keep, "keep", false, "import, but leave FILE in place")
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runImportGitCredentials(ctx, inv, args[0], keep)
		}
	},
}

func runImportGitCredentials(ctx context.Context, inv *invocation, path string, keep bool) error {
	const cmd = "import-git-credentials"
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
	if !keep {
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
