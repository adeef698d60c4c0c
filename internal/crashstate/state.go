package crashstate

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// State is what a power cut could have left under the root: the crash came
// after Ops[:Point] had returned.
type State struct {
	Point   int
	Markers []byte            // all the workload wrote to stdout before the crash
	Files   map[string][]byte // path relative to the root → content
	Dirs    []string          // directories under the root, made by the workload
	Desc    string            // how the state was built, for messages
}

// WriteTo creates the state's files under dir (which must not exist yet,
// or be empty): directories 0700, files 0600, as a store wants them.
func (s *State) WriteTo(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, d := range s.Dirs {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o700); err != nil {
			return err
		}
	}
	for _, p := range slices.Sorted(maps.Keys(s.Files)) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(full, s.Files[p], 0o600); err != nil {
			return err
		}
	}
	return nil
}

// sum identifies a state's content and the markers it is checked against,
// so that States yields each distinct one once.
func (s *State) sum() [32]byte {
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(s.Markers)))
	h.Write(n[:])
	for _, p := range slices.Sorted(maps.Keys(s.Files)) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
		binary.LittleEndian.PutUint64(n[:], uint64(len(s.Files[p])))
		h.Write(n[:])
		h.Write(s.Files[p])
	}
	for _, d := range slices.Sorted(slices.Values(s.Dirs)) {
		h.Write([]byte("dir " + d + "\x00"))
	}
	return [32]byte(h.Sum(nil))
}

// crashPoint is what was durable, and what was only in the page cache,
// when a crash came after Ops[:point].
type crashPoint struct {
	point int
	// syncedBefore[inode]: data ops of that inode before this index are
	// durable (the index of its last sync before point).
	syncedBefore map[int]int
	// metaDurable: directory changes before this index are durable.
	metaDurable int
	unsynced    []int // indices of data ops that may or may not have persisted
	unsyncedDir []int // indices of directory changes that persist as a prefix
	markers     []byte
}

// choice is one crash state at a crash point: which unsynced writes made
// it, how many of the unsynced directory changes, and at most one torn
// write.
type choice struct {
	keep   map[int]bool // unsynced data op index → persisted
	dirs   int          // this many of the unsynced directory changes persisted
	torn   int          // index of a write that persisted only in part, or -1
	tornTo int64        // how many of its bytes persisted
	desc   string
}

func (r *Recording) crashPoint(p int, m Model) *crashPoint {
	cp := &crashPoint{point: p, syncedBefore: map[int]int{}}
	for i, o := range r.Ops[:p] {
		switch {
		case o.Kind == Sync:
			cp.syncedBefore[o.Inode] = i
			if m.FsyncCommitsJournal {
				cp.metaDurable = i
			}
		case o.Kind == SyncDir:
			cp.metaDurable = i
		case o.Kind == Marker:
			cp.markers = append(cp.markers, o.Data...)
		}
	}
	for i, o := range r.Ops[:p] {
		switch {
		case o.Kind.isData() && i >= cp.syncedBefore[o.Inode]:
			cp.unsynced = append(cp.unsynced, i)
		case o.Kind.isMeta() && i >= cp.metaDurable:
			cp.unsyncedDir = append(cp.unsyncedDir, i)
		}
	}
	return cp
}

// build applies the durable ops, and those of c's choosing, to the
// initial files.
func (r *Recording) build(cp *crashPoint, c choice, m Model) *State {
	names := maps.Clone(r.initialInodes)
	dirs := map[string]bool{}
	content := map[int][]byte{}
	for p, ino := range r.initialInodes {
		content[ino] = r.Initial[p]
	}
	owned := map[int]bool{} // content[inode] is a copy of our own
	mutable := func(ino int) []byte {
		if !owned[ino] {
			content[ino] = slices.Clone(content[ino])
			owned[ino] = true
		}
		return content[ino]
	}
	dirSeen := 0
	for i, o := range r.Ops[:cp.point] {
		switch {
		case o.Kind.isMeta():
			if i >= cp.metaDurable {
				dirSeen++
				if dirSeen > c.dirs {
					continue
				}
			}
			switch o.Kind {
			case Create:
				names[o.Path] = o.Inode
			case Link:
				names[o.Path] = o.Inode
			case Rename:
				names[o.NewPath] = names[o.Path]
				delete(names, o.Path)
			case Unlink:
				delete(names, o.Path)
				delete(dirs, o.Path)
			case Mkdir:
				dirs[o.Path] = true
			}
		case o.Kind.isData():
			switch {
			case i < cp.syncedBefore[o.Inode]: // durable
			case i == c.torn:
				o.Data = o.Data[:c.tornTo]
			case !c.keep[i]:
				continue
			}
			b := mutable(o.Inode)
			switch o.Kind {
			case Write:
				if end := o.Off + int64(len(o.Data)); end > int64(len(b)) {
					b = append(b, make([]byte, end-int64(len(b)))...)
				}
				copy(b[o.Off:], o.Data)
			case Truncate:
				if o.Size <= int64(len(b)) {
					b = b[:o.Size]
				} else {
					b = append(b, make([]byte, o.Size-int64(len(b)))...)
				}
			}
			content[o.Inode] = b
		}
	}
	s := &State{Point: cp.point, Markers: cp.markers, Files: map[string][]byte{}, Desc: c.desc}
	for p, ino := range names {
		if m.Volatile == nil || !m.Volatile(p) {
			s.Files[p] = content[ino]
		}
	}
	s.Dirs = slices.Sorted(maps.Keys(dirs))
	return s
}

func (c choice) String() string { return c.desc }

func describe(cp *crashPoint, r *Recording, what string, args ...any) string {
	where := "at the start"
	if cp.point > 0 {
		o := r.Ops[cp.point-1]
		where = fmt.Sprintf("after op %d (%v, trace line %d)", cp.point-1, o, o.Line)
	}
	return fmt.Sprintf("crash %s, %d writes and %d directory changes unsynced: %s",
		where, len(cp.unsynced), len(cp.unsyncedDir), fmt.Sprintf(what, args...))
}
