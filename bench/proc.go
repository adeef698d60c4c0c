package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// runProc runs one command the way a user's script does: a new process,
// the value (if any) on standard input, never in argv. env is added to the
// harness's environment. It returns standard output; a failure includes
// standard error.
func runProc(ctx context.Context, env []string, stdin string, name string, args ...string) (string, error) {
	out, _, err := runProcStderr(ctx, env, stdin, name, args...)
	return out, err
}

// runProcStderr is runProc for the commands that print what is asked for
// on standard error (secret-tool search prints attributes there).
func runProcStderr(ctx context.Context, env []string, stdin string, name string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), errb.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastWords(errb.String()))
	}
	return out.String(), errb.String(), nil
}

// lastWords is the end of a failed command's standard error, without the
// GLib warnings secret-tool repeats by the hundred before its message.
func lastWords(stderr string) string {
	var keep []string
	for line := range strings.Lines(stderr) {
		line = strings.TrimSpace(line)
		if line == "" || strings.Contains(line, "-CRITICAL **") || strings.Contains(line, "-WARNING **") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep[max(0, len(keep)-2):], " / ")
}
