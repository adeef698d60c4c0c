package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// EnvThrowawayPass is set to 1 by run.sh: $PASSWORD_STORE_DIR and
// $GNUPGHOME are throwaway ones it made. Without it the harness leaves
// pass alone — it would fill the user's own password store.
const EnvThrowawayPass = "STOREBENCH_THROWAWAY_PASS"

// Pass is the standard Unix password manager, one process per operation:
// each entry is a gpg-encrypted file; the store here is not a git
// repository (pass's default until `pass git init`).
type Pass struct {
	dir string // $PASSWORD_STORE_DIR
}

// NewPass checks that pass's store and gpg home are throwaway ones, and
// that the store has been initialised (`pass init KEYID`).
func NewPass() (*Pass, error) {
	if os.Getenv(EnvThrowawayPass) != "1" {
		return nil, fmt.Errorf("$%s is not 1: $PASSWORD_STORE_DIR may be your own password store (run bench/run.sh)", EnvThrowawayPass)
	}
	dir := os.Getenv("PASSWORD_STORE_DIR")
	if dir == "" || os.Getenv("GNUPGHOME") == "" {
		return nil, fmt.Errorf("$PASSWORD_STORE_DIR and $GNUPGHOME must name the throwaway store and gpg home")
	}
	if _, err := os.Stat(filepath.Join(dir, ".gpg-id")); err != nil {
		return nil, fmt.Errorf("pass store not initialised: %w", err)
	}
	return &Pass{dir: dir}, nil
}

// Name implements Store.
func (*Pass) Name() string { return "pass" }

func entry(key string) string { return Service + "/" + key }

// Set implements Store: `pass insert -e -f` reads one line from standard
// input.
func (*Pass) Set(ctx context.Context, key, value string) error {
	_, err := runProc(ctx, nil, value+"\n", "pass", "insert", "-e", "-f", entry(key))
	return err
}

// Get implements Store: `pass show` prints the entry's first line and a
// newline.
func (*Pass) Get(ctx context.Context, key string) (string, error) {
	out, err := runProc(ctx, nil, "", "pass", "show", entry(key))
	if err != nil {
		return "", err
	}
	v, ok := strings.CutSuffix(out, "\n")
	if !ok {
		return "", fmt.Errorf("pass show %s: output does not end in a newline", entry(key))
	}
	return v, nil
}

// Delete implements Store.
func (*Pass) Delete(ctx context.Context, key string) error {
	_, err := runProc(ctx, nil, "", "pass", "rm", "-f", entry(key))
	return err
}

// treeLine picks an entry name out of a line of `pass ls` (tree's output,
// with colours): "├── key-0000001".
var (
	ansi     = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	treeLine = regexp.MustCompile(`[└├]── (.+)$`)
)

// List implements Store: `pass ls FOLDER`, as its users list entries.
func (*Pass) List(ctx context.Context) ([]string, error) {
	out, err := runProc(ctx, nil, "", "pass", "ls", Service)
	if err != nil {
		return nil, err
	}
	return passLsKeys(out), nil
}

// passLsKeys are the entry names in the output of `pass ls`.
func passLsKeys(out string) []string {
	var keys []string
	for line := range strings.Lines(out) {
		if m := treeLine.FindStringSubmatch(ansi.ReplaceAllString(strings.TrimRight(line, "\n"), "")); m != nil {
			keys = append(keys, m[1])
		}
	}
	return keys
}

// Close implements Store.
func (*Pass) Close() error { return nil }

// passFillBatch is how many files one gpg process encrypts in Fill.
const passFillBatch = 500

// Fill implements BulkFiller through pass's storage format: the entries
// are written as pass writes them (the value and a newline, encrypted by
// gpg with pass's options to the store's key), but by one gpg process per
// passFillBatch entries (--multifile) instead of one `pass insert` each.
func (p *Pass) Fill(ctx context.Context, keys []string) error {
	id, err := os.ReadFile(filepath.Join(p.dir, ".gpg-id"))
	if err != nil {
		return err
	}
	recipients := strings.Fields(string(id))
	folder := filepath.Join(p.dir, Service)
	if err := os.MkdirAll(folder, 0o700); err != nil {
		return err
	}
	plain, err := os.MkdirTemp("", "storebench-pass-fill-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(plain)
	for start := 0; start < len(keys); start += passFillBatch {
		batch := keys[start:min(start+passFillBatch, len(keys))]
		args := []string{"--batch", "--quiet", "--yes", "--compress-algo=none", "--no-encrypt-to"}
		for _, r := range recipients {
			args = append(args, "-r", r)
		}
		args = append(args, "--multifile", "--encrypt")
		for _, k := range batch {
			f := filepath.Join(plain, k)
			if err := os.WriteFile(f, []byte(Value(k)+"\n"), 0o600); err != nil {
				return err
			}
			args = append(args, f)
		}
		if _, err := runProc(ctx, nil, "", "gpg", args...); err != nil {
			return err
		}
		for _, k := range batch {
			if err := os.Rename(filepath.Join(plain, k+".gpg"), filepath.Join(folder, k+".gpg")); err != nil {
				return err
			}
			if err := os.Remove(filepath.Join(plain, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// FillMethod implements BulkFiller.
func (*Pass) FillMethod() string {
	return fmt.Sprintf("gpg --multifile --encrypt with pass's options, %d entries per gpg process, files moved into the store", passFillBatch)
}
