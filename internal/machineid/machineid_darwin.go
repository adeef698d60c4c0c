package machineid

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"time"
)

// The hardware UUID (IOPlatformUUID) that System Information shows.
var platformSources = []Source{{"ioplatformuuid", ioPlatformUUID}}

var ioPlatformUUIDPattern = regexp.MustCompile(`"IOPlatformUUID" = "([0-9A-Fa-f-]+)"`)

func ioPlatformUUID() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice").Output()
	if err != nil {
		return nil, err
	}
	m := ioPlatformUUIDPattern.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("ioreg printed no IOPlatformUUID")
	}
	return nonEmpty(m[1], nil)
}
