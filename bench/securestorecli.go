package bench

import (
	"context"
	"fmt"
	"strings"
)

// SecurestoreCLI is the securestore command, one process per operation,
// on the same store directory and protector as a Securestore adapter.
type SecurestoreCLI struct {
	bin string
	lib *Securestore
	env []string
}

// NewSecurestoreCLI runs the built binary bin against lib's store. The
// protector is chosen the way a user would in a script: through
// $SECURESTORE_PROTECTOR, with $SECURESTORE_DIR and $SECURESTORE_APP.
func NewSecurestoreCLI(bin string, lib *Securestore) *SecurestoreCLI {
	return &SecurestoreCLI{
		bin: bin,
		lib: lib,
		env: []string{
			"SECURESTORE_DIR=" + lib.Dir(),
			"SECURESTORE_APP=" + App,
			"SECURESTORE_PROTECTOR=" + lib.Protector(),
		},
	}
}

// Name implements Store.
func (c *SecurestoreCLI) Name() string { return "securestore-cli/" + c.lib.Protector() }

// Set implements Store: the value goes on standard input.
func (c *SecurestoreCLI) Set(ctx context.Context, key, value string) error {
	_, err := runProc(ctx, c.env, value+"\n", c.bin, "set", "--service", Service, key)
	return err
}

// Get implements Store: `securestore get KEY` prints the value and a
// newline.
func (c *SecurestoreCLI) Get(ctx context.Context, key string) (string, error) {
	out, err := runProc(ctx, c.env, "", c.bin, "get", "--service", Service, key)
	if err != nil {
		return "", err
	}
	v, ok := strings.CutSuffix(out, "\n")
	if !ok {
		return "", fmt.Errorf("securestore get %s: output does not end in a newline", key)
	}
	return v, nil
}

// Delete implements Store.
func (c *SecurestoreCLI) Delete(ctx context.Context, key string) error {
	_, err := runProc(ctx, c.env, "", c.bin, "delete", "--service", Service, key)
	return err
}

// List implements Store: one key per line.
func (c *SecurestoreCLI) List(ctx context.Context) ([]string, error) {
	out, err := runProc(ctx, c.env, "", c.bin, "list", "--service", Service)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// Close implements Store.
func (c *SecurestoreCLI) Close() error { return nil }

// Backing implements Shared: the library adapter's store.
func (c *SecurestoreCLI) Backing() string { return c.lib.Backing() }
