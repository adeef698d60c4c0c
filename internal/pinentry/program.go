package pinentry

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// EnvProgram names a pinentry program that overrides "pinentry" on $PATH
// when Pinentry.Program is empty (as gpg-agent's pinentry-program does).
const EnvProgram = "SECURESTORE_PINENTRY"

// program resolves the program to run: Program, else $SECURESTORE_PINENTRY,
// else "pinentry" on $PATH. A bare name is looked up on $PATH.
func (p *Pinentry) program() (string, error) {
	name := p.Program
	if name == "" {
		name = os.Getenv(EnvProgram)
	}
	if name == "" {
		name = "pinentry"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", errors.Join(ErrNoPinentry, err)
	}
	return path, nil
}

// sessionVars are what a pinentry needs to find the user's desktop or
// terminal, and its language; nothing else of the caller's environment
// reaches the program.
var sessionVars = []string{
	"PATH", "HOME", "USER", "LOGNAME", "TERM", "LANG", "LANGUAGE",
	"DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR",
	"XDG_SESSION_TYPE", "DBUS_SESSION_BUS_ADDRESS", "GTK_IM_MODULE", "QT_IM_MODULE",
}

// SessionEnv keeps, of an environment in os.Environ form, only what a
// pinentry needs: the display and terminal variables, the language (LANG
// and LC_*), PATH and HOME. The agent builds a Pinentry's Env with it from
// what a client sent.
func SessionEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if strings.HasPrefix(name, "LC_") || slices.Contains(sessionVars, name) {
			out = append(out, kv)
		}
	}
	return out
}

// environ is the program's environment: Env, else the session variables
// of this process.
func (p *Pinentry) environ() []string {
	if p.Env != nil {
		return p.Env
	}
	return SessionEnv(os.Environ())
}

// lookupEnv finds name in an environment in os.Environ form.
func lookupEnv(environ []string, name string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(environ[i], name+"="); ok {
			return v
		}
	}
	return ""
}
