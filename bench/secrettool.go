package bench

import (
	"context"
	"fmt"
	"strings"

	gokeyring "github.com/zalando/go-keyring"
)

// SecretTool is libsecret's secret-tool, one process per operation, on
// the session's Secret Service. Its items carry the attributes
// service=Service and username=KEY, the same as go-keyring's, so the two
// share the items the harness fills.
type SecretTool struct{ maxItems int }

// NewSecretTool checks that the Secret Service is a throwaway one. The
// harness fills it with at most maxItems items.
func NewSecretTool(maxItems int) (*SecretTool, error) {
	if err := needThrowawaySecretService(); err != nil {
		return nil, err
	}
	return &SecretTool{maxItems: maxItems}, nil
}

// Name implements Store.
func (*SecretTool) Name() string { return "secret-tool" }

func attrs(key string) []string { return []string{"service", Service, "username", key} }

// Set implements Store: `secret-tool store` reads the secret from
// standard input.
func (*SecretTool) Set(ctx context.Context, key, value string) error {
	args := append([]string{"store", "--label=" + Service + " " + key}, attrs(key)...)
	_, err := runProc(ctx, nil, value, "secret-tool", args...)
	return err
}

// Get implements Store: `secret-tool lookup` prints the secret as it is
// (no newline when standard output is not a terminal).
func (*SecretTool) Get(ctx context.Context, key string) (string, error) {
	out, err := runProc(ctx, nil, "", "secret-tool", append([]string{"lookup"}, attrs(key)...)...)
	if err != nil {
		return "", err
	}
	return out, nil
}

// Delete implements Store.
func (*SecretTool) Delete(ctx context.Context, key string) error {
	_, err := runProc(ctx, nil, "", "secret-tool", append([]string{"clear"}, attrs(key)...)...)
	return err
}

// List implements Store with the only listing secret-tool has: `search
// --all service Service`, which fetches every matching item's secret too,
// and prints the attributes on standard error.
func (*SecretTool) List(ctx context.Context) ([]string, error) {
	_, stderr, err := runProcStderr(ctx, nil, "", "secret-tool", "search", "--all", "service", Service)
	if err != nil {
		return nil, err
	}
	var keys []string
	for line := range strings.Lines(stderr) {
		if k, ok := strings.CutPrefix(strings.TrimSpace(line), "attribute.username = "); ok {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// Close implements Store.
func (*SecretTool) Close() error { return nil }

// Backing implements Shared.
func (*SecretTool) Backing() string { return keyringBacking }

// Limits implements Limited.
func (s *SecretTool) Limits() Limits {
	return Limits{MaxItems: s.maxItems, MaxItemsWhy: keyringMaxItemsWhy}
}

// Fill implements BulkFiller: the items are created over D-Bus in this
// process (through go-keyring, with the attributes secret-tool uses).
// A process per item would add only start-up time to a fill that
// gnome-keyring's rewrites dominate.
func (*SecretTool) Fill(_ context.Context, keys []string) error {
	for _, k := range keys {
		if err := gokeyring.Set(Service, k, Value(k)); err != nil {
			return fmt.Errorf("fill %s: %w", k, err)
		}
	}
	return nil
}

// FillMethod implements BulkFiller.
func (*SecretTool) FillMethod() string {
	return "go-keyring Set over D-Bus, one item at a time (same attributes as secret-tool store)"
}
