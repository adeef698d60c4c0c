package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Environment is the machine and the versions a run measured.
type Environment struct {
	Date       string    `json:"date"`
	CPU        string    `json:"cpu"`
	Cores      int       `json:"cores"`
	Memory     string    `json:"memory"`
	Kernel     string    `json:"kernel"`
	Filesystem string    `json:"filesystem"` // of the directory the stores live in
	Go         string    `json:"go"`
	LoadStart  string    `json:"load_start"` // /proc/loadavg when the run began
	LoadEnd    string    `json:"load_end"`
	Versions   []Version `json:"versions"`
}

// Version is one component's version and where it was read.
type Version struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	From    string `json:"from"`
}

// peerModules are the Go modules whose versions the report lists: the
// peers, what they and securestore are built on.
var peerModules = []string{
	"github.com/zalando/go-keyring",
	"github.com/godbus/dbus/v5",
	"github.com/99designs/keyring",
	"github.com/dvsekhvalnov/jose2go",
	"modernc.org/sqlite",
}

// debPackages are the Debian packages the process peers and the Secret
// Service come from.
var debPackages = []string{"pass", "gnupg", "tree", "libsecret-tools", "gnome-keyring", "dbus"}

// CollectEnvironment describes this machine and the versions of every
// peer. securestoreVersion is the repository's revision (run.sh passes
// git describe), since a replaced module has no version of its own.
func CollectEnvironment(ctx context.Context, workDir, securestoreVersion string) Environment {
	e := Environment{
		Date:       time.Now().UTC().Format("2006-01-02 15:04 MST"),
		CPU:        cpuModel(),
		Cores:      runtime.NumCPU(),
		Memory:     memTotal(),
		Kernel:     strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		Filesystem: filesystemOf(workDir),
		Go:         runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		LoadStart:  loadAvg(),
	}
	e.Versions = append(e.Versions, Version{"securestore", securestoreVersion, "this repository (git describe)"})
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range peerModules {
			for _, d := range bi.Deps {
				if d.Path == m {
					e.Versions = append(e.Versions, Version{m, d.Version, "Go module (bench/go.mod)"})
				}
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "pass", "version").Output(); err == nil {
		if v := regexp.MustCompile(`v\d+(\.\d+)+`).FindString(string(out)); v != "" {
			e.Versions = append(e.Versions, Version{"pass", v, "pass version"})
		}
	}
	if out, err := exec.CommandContext(ctx, "gpg", "--version").Output(); err == nil {
		line, _, _ := strings.Cut(string(out), "\n")
		e.Versions = append(e.Versions, Version{"gpg", strings.TrimSpace(line), "gpg --version"})
	}
	if out, err := exec.CommandContext(ctx, "gnome-keyring-daemon", "--version").Output(); err == nil {
		line, _, _ := strings.Cut(string(out), "\n") // a second line says "testing: enabled"
		e.Versions = append(e.Versions, Version{"gnome-keyring-daemon", strings.TrimSpace(line), "gnome-keyring-daemon --version"})
	}
	for _, p := range debPackages {
		if out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Version}", p).Output(); err == nil {
			e.Versions = append(e.Versions, Version{p, string(out), "Debian package (dpkg-query)"})
		}
	}
	return e
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	for line := range strings.Lines(readFile("/proc/cpuinfo")) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	for line := range strings.Lines(readFile("/proc/meminfo")) {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(v)
			if kib, err := strconv.ParseInt(f[0], 10, 64); err == nil && len(f) == 2 && f[1] == "kB" {
				return fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
			}
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// filesystemOf is the device, type and options of the mount that holds
// dir, from /proc/self/mounts (the longest mount point above it).
func filesystemOf(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return ""
	}
	defer f.Close()
	best, bestLen := "", -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 4 {
			continue
		}
		mnt := fs[1]
		if (abs == mnt || strings.HasPrefix(abs, strings.TrimSuffix(mnt, "/")+"/")) && len(mnt) > bestLen {
			best, bestLen = fs[0]+" "+fs[2]+" ("+fs[3]+") at "+mnt, len(mnt)
		}
	}
	return best
}
