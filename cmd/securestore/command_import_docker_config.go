package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/cmd/internal/credential"
	"github.com/securestore-go/securestore/cmd/internal/credential/docker"
)

// importDockerConfigCommand is "securestore import-docker-config"; its tests are in testdata/script/import_docker_config.txtar.
var importDockerConfigCommand = &command{
	name:    "import-docker-config",
	args:    []string{"FILE"},
	summary: "move docker's plain-text credentials (~/.docker/config.json) in",
	help: `Move the credentials in the "auths" of FILE, a ~/.docker/config.json,
into the store of docker-credential-securestore (app "docker-credential",
service "docker"), and set "credsStore": "securestore" in FILE so that
docker uses the helper from then on.

Every entry with a credential must be one the helper can hold. One that
is not (bad base64, a registrytoken, two spellings of one registry) is
reported by its server URL, and then nothing is imported and FILE is left
as it was (exit status 2). Otherwise every credential is stored and read
back, and only then is FILE rewritten, atomically, without them; its
other settings stay. With --keep, FILE is left as it was.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var keep bool
		fs.BoolVar(&keep, "keep", false, "import, but leave FILE as it was")
		return func(ctx context.Context, inv *invocation, args []string) error {
			return runImportDockerConfig(ctx, inv, args[0], keep)
		}
	},
}

func runImportDockerConfig(ctx context.Context, inv *invocation, path string, keep bool) error {
	const cmd = "import-docker-config"
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
	if keep {
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
