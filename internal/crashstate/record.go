package crashstate

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Kind is what an Op does.
type Kind int

const (
	Write    Kind = iota // Data at Off of Inode
	Truncate             // Inode's size becomes Size
	Sync                 // fsync or fdatasync of Inode: its earlier writes are durable
	SyncDir              // fsync of the directory Path: earlier directory changes are durable
	Create               // a new, empty Inode is linked at Path
	Link                 // Inode gets a second name, Path
	Rename               // Path's inode moves to NewPath, replacing what was there
	Unlink               // Path's name is removed
	Mkdir                // a directory Path is made
	Marker               // the workload wrote Data to its standard output
)

var kindNames = [...]string{"write", "truncate", "sync", "syncdir", "create", "link", "rename", "unlink", "mkdir", "marker"}

func (k Kind) String() string { return kindNames[k] }

// isData reports whether the op changes a file's bytes (may reach the disk
// in any order until the file is synced).
func (k Kind) isData() bool { return k == Write || k == Truncate }

// isMeta reports whether the op changes a directory's entries (reaches the
// disk in order, as the journal commits it).
func (k Kind) isMeta() bool {
	return k == Create || k == Link || k == Rename || k == Unlink || k == Mkdir
}

// Op is one change to the files under a Recording's root, or a marker.
// Paths are relative to the root, slash-separated ("." is the root).
type Op struct {
	Kind    Kind
	Inode   int
	Path    string
	NewPath string
	Off     int64
	Size    int64
	Data    []byte
	Line    int // the trace line it came from
}

func (o Op) String() string {
	switch o.Kind {
	case Write:
		return fmt.Sprintf("write inode %d [%d,%d)", o.Inode, o.Off, o.Off+int64(len(o.Data)))
	case Truncate:
		return fmt.Sprintf("truncate inode %d to %d", o.Inode, o.Size)
	case Sync:
		return fmt.Sprintf("sync inode %d", o.Inode)
	case Rename:
		return fmt.Sprintf("rename %s to %s", o.Path, o.NewPath)
	case Marker:
		return fmt.Sprintf("marker %q", o.Data)
	}
	return fmt.Sprintf("%s %s (inode %d)", o.Kind, o.Path, o.Inode)
}

// Recording is what a workload did to the files under Root, starting from
// the files in Initial, which are taken to be durable.
type Recording struct {
	Root    string
	Initial map[string][]byte // path relative to Root → content
	Ops     []Op
	Ignored int // calls on files under Root that change nothing durable (e.g. fallocate)

	initialInodes map[string]int // the inode of each of Initial's files
}

// Interpret turns the calls of a trace into the Ops on the files under
// root (an absolute path without symlinks, as strace -y prints paths),
// given the files that were there before (path relative to root →
// content). Calls on other files are dropped, except writes to file
// descriptor 1, which become Markers. It assumes one traced process (the
// workload's threads share one descriptor table).
func Interpret(calls []Syscall, root string, initial map[string][]byte) (*Recording, error) {
	in := &interpreter{
		rec:   &Recording{Root: filepath.Clean(root), Initial: initial},
		names: map[string]int{},
		dirs:  map[string]bool{".": true},
		sizes: map[int]int64{},
		fds:   map[int]*openFile{},
	}
	in.rec.initialInodes = map[string]int{}
	for _, p := range slices.Sorted(maps.Keys(initial)) {
		ino := in.newInode()
		in.names[p], in.rec.initialInodes[p] = ino, ino
		in.sizes[ino] = int64(len(initial[p]))
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			in.dirs[d] = true
		}
	}
	for _, c := range calls {
		if c.Failed {
			continue
		}
		if err := in.call(c); err != nil {
			return nil, fmt.Errorf("trace line %d: %s: %w", c.Line, c.Name, err)
		}
	}
	return in.rec, nil
}

type interpreter struct {
	rec    *Recording
	names  map[string]int // the current namespace: path → inode
	dirs   map[string]bool
	sizes  map[int]int64 // the current size of each inode
	fds    map[int]*openFile
	inodes int
}

type openFile struct {
	inode  int
	off    int64
	append bool
}

func (in *interpreter) newInode() int { in.inodes++; return in.inodes }

func (in *interpreter) emit(o Op, c Syscall) {
	o.Line = c.Line
	in.rec.Ops = append(in.rec.Ops, o)
}

// rel returns path relative to the root, or ok == false when it lies
// outside.
func (in *interpreter) rel(path string) (string, bool) {
	if path == "" || !filepath.IsAbs(path) {
		return "", false
	}
	r, err := filepath.Rel(in.rec.Root, filepath.Clean(path))
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// pathArg resolves a path argument, relative to the directory descriptor
// dirArg (as strace -y printed it) when not absolute.
func (in *interpreter) pathArg(dirArg, pathArg string) (string, bool, error) {
	p, err := unquote(pathArg)
	if err != nil {
		return "", false, err
	}
	path := string(p)
	if !filepath.IsAbs(path) {
		_, dir, err := parseFD(dirArg)
		if err != nil {
			return "", false, err
		}
		path = filepath.Join(dir, path)
	}
	r, ok := in.rel(path)
	return r, ok, nil
}

// fdArg returns the open file under root behind a descriptor argument, or
// nil for any other file (or one already unlinked).
func (in *interpreter) fdArg(arg string) (fd int, f *openFile, err error) {
	fd, _, err = parseFD(arg)
	if err != nil || fdDeleted(arg) {
		return fd, nil, err
	}
	return fd, in.fds[fd], nil
}

func (in *interpreter) call(c Syscall) error {
	a := c.Args
	need := func(n int) error {
		if len(a) < n {
			return fmt.Errorf("%d arguments, want %d", len(a), n)
		}
		return nil
	}
	switch c.Name {
	case "openat", "open", "creat":
		return in.open(c)
	case "close":
		if err := need(1); err != nil {
			return err
		}
		fd, _, err := parseFD(a[0])
		delete(in.fds, fd)
		return err
	case "lseek":
		if err := need(1); err != nil {
			return err
		}
		_, f, err := in.fdArg(a[0])
		if f != nil {
			f.off = c.Ret
		}
		return err
	case "write", "pwrite64", "writev", "pwritev", "pwritev2":
		return in.write(c)
	case "ftruncate", "truncate":
		if err := need(2); err != nil {
			return err
		}
		size, err := strconv.ParseInt(a[1], 0, 64)
		if err != nil {
			return err
		}
		ino, ok := 0, false
		if c.Name == "ftruncate" {
			_, f, err := in.fdArg(a[0])
			if err != nil {
				return err
			}
			if f != nil {
				ino, ok = f.inode, true
			}
		} else {
			p, under, err := in.pathArg("AT_FDCWD", a[0])
			if err != nil {
				return err
			}
			ino, ok = in.names[p], under && in.names[p] != 0
		}
		if ok {
			in.sizes[ino] = size
			in.emit(Op{Kind: Truncate, Inode: ino, Size: size}, c)
		}
	case "fallocate":
		if err := need(1); err != nil {
			return err
		}
		if _, f, err := in.fdArg(a[0]); err != nil || f != nil {
			// Allocating space changes no byte a reader sees (this model
			// does not follow FALLOC_FL_PUNCH_HOLE or size changes by it).
			in.rec.Ignored++
			return err
		}
	case "fsync", "fdatasync":
		if err := need(1); err != nil {
			return err
		}
		fd, path, err := parseFD(a[0])
		if err != nil {
			return err
		}
		if f := in.fds[fd]; f != nil && !fdDeleted(a[0]) {
			in.emit(Op{Kind: Sync, Inode: f.inode}, c)
		} else if r, ok := in.rel(path); ok && in.dirs[r] {
			in.emit(Op{Kind: SyncDir, Path: r}, c)
		}
	case "rename", "renameat", "renameat2":
		var from, to string
		var okFrom, okTo bool
		var err1, err2 error
		if c.Name == "rename" {
			if err := need(2); err != nil {
				return err
			}
			from, okFrom, err1 = in.pathArg("AT_FDCWD", a[0])
			to, okTo, err2 = in.pathArg("AT_FDCWD", a[1])
		} else {
			if err := need(4); err != nil {
				return err
			}
			if len(a) > 4 && strings.Contains(a[4], "RENAME_EXCHANGE") {
				return fmt.Errorf("RENAME_EXCHANGE is not modelled")
			}
			from, okFrom, err1 = in.pathArg(a[0], a[1])
			to, okTo, err2 = in.pathArg(a[2], a[3])
		}
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%v %v", err1, err2)
		}
		switch {
		case okFrom && okTo:
			in.names[to] = in.names[from]
			delete(in.names, from)
			in.emit(Op{Kind: Rename, Path: from, NewPath: to, Inode: in.names[to]}, c)
		case okFrom || okTo:
			return fmt.Errorf("a rename across the root %s is not modelled", in.rec.Root)
		}
	case "link", "linkat":
		var from, to string
		var okFrom, okTo bool
		var err1, err2 error
		if c.Name == "link" {
			if err := need(2); err != nil {
				return err
			}
			from, okFrom, err1 = in.pathArg("AT_FDCWD", a[0])
			to, okTo, err2 = in.pathArg("AT_FDCWD", a[1])
		} else {
			if err := need(4); err != nil {
				return err
			}
			from, okFrom, err1 = in.pathArg(a[0], a[1])
			to, okTo, err2 = in.pathArg(a[2], a[3])
		}
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%v %v", err1, err2)
		}
		if okFrom && okTo {
			in.names[to] = in.names[from]
			in.emit(Op{Kind: Link, Path: to, Inode: in.names[to]}, c)
		} else if okTo {
			return fmt.Errorf("a link into the root %s from outside is not modelled", in.rec.Root)
		}
	case "unlink", "unlinkat":
		var p string
		var ok bool
		var err error
		if c.Name == "unlink" {
			if err := need(1); err != nil {
				return err
			}
			p, ok, err = in.pathArg("AT_FDCWD", a[0])
		} else {
			if err := need(3); err != nil {
				return err
			}
			p, ok, err = in.pathArg(a[0], a[1])
		}
		if err != nil || !ok {
			return err
		}
		ino := in.names[p]
		delete(in.names, p)
		delete(in.dirs, p)
		in.emit(Op{Kind: Unlink, Path: p, Inode: ino}, c)
	case "mkdir", "mkdirat":
		var p string
		var ok bool
		var err error
		if c.Name == "mkdir" {
			if err := need(1); err != nil {
				return err
			}
			p, ok, err = in.pathArg("AT_FDCWD", a[0])
		} else {
			if err := need(2); err != nil {
				return err
			}
			p, ok, err = in.pathArg(a[0], a[1])
		}
		if err != nil || !ok {
			return err
		}
		in.dirs[p] = true
		in.emit(Op{Kind: Mkdir, Path: p}, c)
	}
	return nil
}

func (in *interpreter) open(c Syscall) error {
	a := c.Args
	var pathArg, flags string
	switch {
	case c.Name == "creat" && len(a) >= 1:
		pathArg, flags = a[0], "O_CREAT|O_WRONLY|O_TRUNC"
	case c.Name == "open" && len(a) >= 2:
		pathArg, flags = a[0], a[1]
	case c.Name == "openat" && len(a) >= 3:
		pathArg, flags = a[1], a[2]
	default:
		return fmt.Errorf("%d arguments", len(a))
	}
	fd := int(c.Ret)
	delete(in.fds, fd)
	// strace -y names the file that was opened; the argument may be
	// relative to a directory descriptor.
	path := c.RetPath
	if path == "" {
		p, err := unquote(pathArg)
		if err != nil {
			return err
		}
		path = string(p)
	}
	r, ok := in.rel(path)
	if !ok || in.dirs[r] {
		return nil
	}
	has := func(f string) bool { return strings.Contains("|"+flags+"|", "|"+f+"|") }
	ino := in.names[r]
	if ino == 0 {
		if !has("O_CREAT") {
			return fmt.Errorf("%s was opened but is not known to exist", r)
		}
		ino = in.newInode()
		in.names[r] = ino
		in.emit(Op{Kind: Create, Path: r, Inode: ino}, c)
	} else if has("O_TRUNC") && in.sizes[ino] != 0 {
		in.emit(Op{Kind: Truncate, Inode: ino, Size: 0}, c)
	}
	if has("O_TRUNC") {
		in.sizes[ino] = 0
	}
	in.fds[fd] = &openFile{inode: ino, append: has("O_APPEND")}
	return nil
}

func (in *interpreter) write(c Syscall) error {
	a := c.Args
	if len(a) < 2 {
		return fmt.Errorf("%d arguments", len(a))
	}
	var data []byte
	var err error
	if strings.HasPrefix(c.Name, "writev") || strings.HasPrefix(c.Name, "pwritev") {
		data, err = iovecData(a[1])
	} else {
		data, err = unquote(a[1])
	}
	if err != nil {
		return err
	}
	if int64(len(data)) < c.Ret {
		return fmt.Errorf("the trace holds %d bytes of a %d-byte write", len(data), c.Ret)
	}
	data = data[:c.Ret]
	fd, f, err := in.fdArg(a[0])
	if err != nil {
		return err
	}
	if fd == 1 {
		in.emit(Op{Kind: Marker, Data: data}, c)
		return nil
	}
	if f == nil || len(data) == 0 {
		return nil
	}
	var off int64
	switch {
	case strings.HasPrefix(c.Name, "p"):
		if len(a) < 4 { // pwrite64(fd, buf, count, off), pwritev(fd, iov, cnt, off[, flags])
			return fmt.Errorf("%d arguments", len(a))
		}
		if off, err = strconv.ParseInt(a[3], 0, 64); err != nil {
			return err
		}
	case f.append:
		off = in.sizes[f.inode]
		f.off = off + int64(len(data))
	default:
		off = f.off
		f.off += int64(len(data))
	}
	in.sizes[f.inode] = max(in.sizes[f.inode], off+int64(len(data)))
	in.emit(Op{Kind: Write, Inode: f.inode, Off: off, Data: data}, c)
	return nil
}

// iovecData joins the buffers of a writev's iovec array as strace prints
// it: [{iov_base="...", iov_len=N}, ...].
func iovecData(arg string) ([]byte, error) {
	var out []byte
	for rest := arg; ; {
		i := strings.Index(rest, "iov_base=\"")
		if i < 0 {
			return out, nil
		}
		rest = rest[i+len("iov_base="):]
		end, err := skipString(rest, 0)
		if err != nil {
			return nil, err
		}
		b, err := unquote(rest[:end])
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
		rest = rest[end:]
	}
}
