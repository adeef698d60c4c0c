package crashstate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// TracedCalls is the system calls Command records: every call that changes
// a file's data or a directory's entries, every call that makes them
// durable, and the ones needed to follow file offsets.
var TracedCalls = []string{
	"openat", "open", "creat", "close", "lseek",
	"write", "pwrite64", "writev", "pwritev", "pwritev2",
	"ftruncate", "truncate", "fallocate",
	"fsync", "fdatasync",
	"rename", "renameat", "renameat2", "link", "linkat",
	"unlink", "unlinkat", "mkdir", "mkdirat",
}

// StraceArgs are the arguments of strace that ParseStrace expects, before
// the traced command: follow every thread (-f), no attach or exit notes
// (-qq), file descriptors decoded to paths (-y), every byte of every
// buffer (-s, -xx: all in hex, so no byte is lost to escaping), into
// traceFile.
func StraceArgs(traceFile string) []string {
	return []string{"-f", "-qq", "-y", "-xx", "-s", "100000000",
		"-e", "trace=" + strings.Join(TracedCalls, ","), "-o", traceFile}
}

// Command returns the command that runs name with args under strace,
// writing the trace to traceFile. The caller sets its environment and
// output, and runs it.
func Command(ctx context.Context, traceFile, name string, args ...string) *exec.Cmd {
	a := append(StraceArgs(traceFile), "--", name)
	return exec.CommandContext(ctx, "strace", append(a, args...)...)
}

// Syscall is one completed system call from a trace.
type Syscall struct {
	Line int      // the line of the trace where it completed, for messages
	Name string   // e.g. "pwrite64"
	Args []string // its arguments as strace printed them
	Ret  int64    // its return value; meaningless when Failed
	// RetPath is the path of a returned file descriptor (strace -y), "" if
	// the call returned none.
	RetPath string
	Failed  bool // it returned -1 with an errno (and so changed nothing)
}

// ParseStrace reads a trace written with StraceArgs and returns its
// completed calls in the order they completed. A call that one thread
// began and finished later ("<unfinished ...>", "<... resumed>") counts
// where it finished: a write is certainly in the page cache, and a sync
// certainly done, only once the call has returned. Calls that never
// returned (the process died in them) are dropped.
func ParseStrace(r io.Reader) ([]Syscall, error) {
	var calls []Syscall
	pending := map[string]string{} // thread id → the first half of an unfinished call
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for n := 1; sc.Scan(); n++ {
		pid, text := splitPID(sc.Text())
		switch {
		case text == "" || strings.HasPrefix(text, "---") || strings.HasPrefix(text, "+++"):
			continue // a signal, an exit
		case strings.HasSuffix(text, "<detached ...>"):
			// A thread strace let go of while it was in a call, as the
			// process exited ("??? ( <detached ...>"): a call that never
			// returned, like an unfinished one.
			continue
		case strings.HasSuffix(text, " <unfinished ...>"):
			pending[pid] = strings.TrimSuffix(text, " <unfinished ...>")
			continue
		case strings.HasPrefix(text, "<... "):
			end := strings.Index(text, " resumed>")
			if end < 0 {
				return nil, fmt.Errorf("trace line %d: bad resumption %.80q", n, text)
			}
			first, ok := pending[pid]
			if !ok {
				return nil, fmt.Errorf("trace line %d: resumes a call that never began", n)
			}
			delete(pending, pid)
			text = first + text[end+len(" resumed>"):]
		}
		c, err := parseCall(text)
		if err != nil {
			return nil, fmt.Errorf("trace line %d: %w", n, err)
		}
		if c == nil {
			continue // did not return
		}
		c.Line = n
		calls = append(calls, *c)
	}
	return calls, sc.Err()
}

// splitPID splits strace -f's thread id ("1234 " with -o, "[pid 1234] "
// without) off a line.
func splitPID(line string) (pid, rest string) {
	if strings.HasPrefix(line, "[pid ") {
		if i := strings.Index(line, "] "); i > 0 {
			return strings.TrimSpace(line[5:i]), line[i+2:]
		}
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i < len(line) && line[i] == ' ' {
		return line[:i], strings.TrimLeft(line[i:], " ")
	}
	return "", line
}

// parseCall parses "name(arg, arg) = ret". It returns nil for a call that
// did not return ("= ?").
func parseCall(text string) (*Syscall, error) {
	open := strings.IndexByte(text, '(')
	if open <= 0 {
		return nil, fmt.Errorf("not a system call: %.80q", text)
	}
	c := &Syscall{Name: text[:open]}
	args, rest, err := splitArgs(text[open+1:])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	c.Args = args
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "= ") {
		return nil, fmt.Errorf("%s: no return value in %.80q", c.Name, rest)
	}
	ret := rest[2:]
	if strings.HasPrefix(ret, "?") {
		return nil, nil
	}
	num := ret
	if i := strings.IndexAny(ret, " <"); i >= 0 {
		num = ret[:i]
	}
	if c.Ret, err = strconv.ParseInt(num, 0, 64); err != nil {
		return nil, fmt.Errorf("%s: bad return value %.80q", c.Name, ret)
	}
	if c.Ret < 0 {
		c.Failed = true
		return c, nil
	}
	if strings.HasPrefix(ret[len(num):], "<") {
		_, path, err := parseFD(ret)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		c.RetPath = path
	}
	return c, nil
}

// splitArgs splits the arguments of a call at the commas that separate
// them, outside strings, brackets and strace -y's <path> decorations, up
// to the closing parenthesis; rest is what follows it.
func splitArgs(s string) (args []string, rest string, err error) {
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			j, err := skipString(s, i)
			if err != nil {
				return nil, "", err
			}
			i = j - 1
		case '(', '[', '{', '<':
			depth++
		case ']', '}', '>':
			depth--
		case ')':
			if depth == 0 {
				if a := strings.TrimSpace(s[start:i]); a != "" || len(args) > 0 {
					args = append(args, a)
				}
				return args, s[i+1:], nil
			}
			depth--
		case ',':
			if depth == 0 {
				args = append(args, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return nil, "", errors.New("unterminated argument list")
}

// skipString returns the index just past the quoted string that starts at
// s[i], and fails if strace cut it short ("..." after the quote): the
// trace must hold every byte written.
func skipString(s string, i int) (int, error) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			if strings.HasPrefix(s[j+1:], "...") {
				return 0, errors.New("a buffer was cut short: raise strace -s")
			}
			return j + 1, nil
		}
	}
	return 0, errors.New("unterminated string")
}

// unquote decodes a C string as strace prints it, quotes included.
func unquote(s string) ([]byte, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, fmt.Errorf("not a string: %.80q", s)
	}
	return unescape(s[1 : len(s)-1])
}

// unescape decodes strace's escapes: \xHH (all of -xx's output), octal,
// and the C letters.
func unescape(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/4+1)
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 >= len(s) {
			return nil, errors.New("string ends in a backslash")
		}
		i++
		switch c := s[i]; c {
		case 'x':
			if i+2 >= len(s) {
				return nil, errors.New("short \\x escape")
			}
			b, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("bad \\x escape: %w", err)
			}
			out = append(out, byte(b))
			i += 2
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'v':
			out = append(out, '\v')
		case 'f':
			out = append(out, '\f')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			b, err := strconv.ParseUint(s[i:j], 8, 8)
			if err != nil {
				return nil, fmt.Errorf("bad octal escape: %w", err)
			}
			out = append(out, byte(b))
			i = j - 1
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// parseFD parses a file descriptor argument as strace -y prints it:
// "7</dir/file>", "7</dir/file>(deleted)", "AT_FDCWD</cwd>", or a bare
// number. fd is -100 for AT_FDCWD; path is "" when strace named none (a
// pipe prints as "pipe:[123]", which is returned as is).
func parseFD(s string) (fd int, path string, err error) {
	num, deco, _ := strings.Cut(s, "<")
	if num == "AT_FDCWD" {
		fd = -100
	} else if fd, err = strconv.Atoi(num); err != nil {
		return 0, "", fmt.Errorf("bad file descriptor %.80q", s)
	}
	if deco == "" {
		return fd, "", nil
	}
	end := strings.LastIndexByte(deco, '>')
	if end < 0 {
		return 0, "", fmt.Errorf("bad file descriptor %.80q", s)
	}
	p, err := unescape(deco[:end])
	if err != nil {
		return 0, "", err
	}
	return fd, string(p), nil
}

// fdDeleted reports whether strace marked the file behind a descriptor
// argument as unlinked.
func fdDeleted(s string) bool { return strings.HasSuffix(s, ">(deleted)") }
