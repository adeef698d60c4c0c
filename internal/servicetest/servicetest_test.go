package servicetest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissing runs itself as a child with and without the variable: the
// same missing service must skip in one and fail in the other.
func TestMissing(t *testing.T) {
	if os.Getenv("SERVICETEST_CHILD") == "1" {
		Missing(t, "frobnicator", "no socket", ".ci/with-frobnicator go test ./...")
		return
	}
	for _, c := range []struct {
		require  string
		wantFail bool
		wantText string
	}{
		{"", false, "--- SKIP"},
		{"1", true, "--- FAIL"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "SERVICETEST_CHILD=1", EnvRequire+"="+c.require)
		out, err := cmd.CombinedOutput()
		if (err != nil) != c.wantFail || !strings.Contains(string(out), c.wantText) ||
			!strings.Contains(string(out), "start it with: .ci/with-frobnicator") {
			t.Errorf("%s=%q: err %v, output:\n%s", EnvRequire, c.require, err, out)
		}
	}
}
