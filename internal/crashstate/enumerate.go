package crashstate

import (
	"iter"
	"math/rand/v2"
)

// Model says which crash states States builds, and how many.
type Model struct {
	// BlockSize is the unit a write persists in: a write that crosses a
	// multiple of it may also persist torn there, its first part on disk
	// and the rest not. 0 means 4096 (ext4's block); -1 tears nothing.
	BlockSize int
	// FsyncCommitsJournal: an fsync of a file also makes every earlier
	// directory change durable, as ext4's journal commit does. Without it,
	// only a sync of the directory does (POSIX's promise, and stricter).
	FsyncCommitsJournal bool
	// MaxSystematic bounds the crash points at which every single
	// unsynced write is dropped, and kept alone, in turn: those with at
	// most this many unsynced writes (0 means 32).
	MaxSystematic int
	// Random is how many random subsets of the unsynced writes (with a
	// random prefix of the unsynced directory changes) to add at each
	// crash point, from a generator seeded with Seed.
	Random int
	Seed   uint64
	// Volatile reports the files a reboot loses anyway (SQLite's -shm is
	// shared memory); they are left out of every state.
	Volatile func(path string) bool
}

// CrashPoints returns the points States crashes at: just before each sync
// and each marker, and at the end. Any other point is covered too: a
// crash between two of these leaves a state in which a suffix of the
// unsynced ops did not persist, and States builds every such prefix.
func (r *Recording) CrashPoints() []int {
	var pts []int
	for i, o := range r.Ops {
		if o.Kind == Sync || o.Kind == SyncDir || o.Kind == Marker {
			pts = append(pts, i)
		}
	}
	return append(pts, len(r.Ops))
}

// States yields the distinct crash states of the recording under m: at
// each crash point, the state with only what was synced, the state with
// everything written (what a SIGKILL leaves), every program-order prefix
// of the unsynced ops, every prefix of the unsynced directory changes,
// each unsynced write dropped alone and kept alone, each write torn at its
// first block boundary, and m.Random random subsets. A state equal to one
// already yielded (same files, same markers) is skipped.
func (r *Recording) States(m Model) iter.Seq[*State] {
	if m.BlockSize == 0 {
		m.BlockSize = 4096
	}
	if m.MaxSystematic == 0 {
		m.MaxSystematic = 32
	}
	return func(yield func(*State) bool) {
		seen := map[[32]byte]bool{}
		rng := rand.New(rand.NewPCG(m.Seed, 0xc4a5))
		for _, p := range r.CrashPoints() {
			cp := r.crashPoint(p, m)
			for c := range choices(cp, r, m, rng) {
				s := r.build(cp, c, m)
				sum := s.sum()
				if seen[sum] {
					continue
				}
				seen[sum] = true
				if !yield(s) {
					return
				}
			}
		}
	}
}

// choices yields the crash states to build at one crash point.
func choices(cp *crashPoint, r *Recording, m Model, rng *rand.Rand) iter.Seq[choice] {
	all := map[int]bool{}
	for _, i := range cp.unsynced {
		all[i] = true
	}
	nd := len(cp.unsyncedDir)
	return func(yield func(choice) bool) {
		emit := func(keep map[int]bool, dirs int, what string, args ...any) bool {
			return yield(choice{keep: keep, dirs: dirs, torn: -1, desc: describe(cp, r, what, args...)})
		}
		if !emit(nil, 0, "only what was synced") ||
			!emit(all, nd, "everything written (what SIGKILL leaves)") ||
			!emit(all, 0, "all writes, none of the directory changes") ||
			!emit(nil, nd, "all directory changes, none of the writes") {
			return
		}
		// Program-order prefixes: a crash in the middle of the ops
		// since the last sync.
		var unsyncedAll []int // data and directory ops, in order
		{
			i, j := 0, 0
			for i < len(cp.unsynced) || j < nd {
				if j == nd || i < len(cp.unsynced) && cp.unsynced[i] < cp.unsyncedDir[j] {
					unsyncedAll = append(unsyncedAll, cp.unsynced[i])
					i++
				} else {
					unsyncedAll = append(unsyncedAll, cp.unsyncedDir[j])
					j++
				}
			}
		}
		for k := 1; k < len(unsyncedAll); k++ {
			keep, dirs := map[int]bool{}, 0
			for _, i := range unsyncedAll[:k] {
				if r.Ops[i].Kind.isData() {
					keep[i] = true
				} else {
					dirs++
				}
			}
			if !emit(keep, dirs, "the first %d unsynced ops in program order", k) {
				return
			}
		}
		for k := 1; k < nd; k++ {
			if !emit(all, k, "all writes, the first %d directory changes", k) {
				return
			}
		}
		if len(cp.unsynced) <= m.MaxSystematic {
			for _, u := range cp.unsynced {
				if !emit(without(all, u), nd, "all but op %d (%v)", u, r.Ops[u]) ||
					!emit(map[int]bool{u: true}, nd, "only op %d (%v)", u, r.Ops[u]) {
					return
				}
			}
		}
		if m.BlockSize > 0 {
			for _, u := range cp.unsynced {
				o := r.Ops[u]
				if o.Kind != Write {
					continue
				}
				bs := int64(m.BlockSize)
				cut := (o.Off/bs+1)*bs - o.Off // bytes up to the first boundary
				if cut >= int64(len(o.Data)) {
					continue
				}
				c := choice{keep: without(all, u), dirs: nd, torn: u, tornTo: cut,
					desc: describe(cp, r, "all, with op %d (%v) torn after %d bytes", u, o, cut)}
				if !yield(c) {
					return
				}
			}
		}
		for n := range m.Random {
			keep := map[int]bool{}
			for _, u := range cp.unsynced {
				if rng.IntN(2) == 0 {
					keep[u] = true
				}
			}
			if !emit(keep, rng.IntN(nd+1), "random subset %d", n) {
				return
			}
		}
	}
}

func without(set map[int]bool, i int) map[int]bool {
	out := make(map[int]bool, len(set))
	for k, v := range set {
		if k != i {
			out[k] = v
		}
	}
	return out
}

// WithoutSyncs returns a copy of the recording with every sync removed: the
// same workload run by a program that never calls fsync. States of it
// must show lost acknowledged writes; a check that finds none cannot see
// a missing fsync and is broken.
func (r *Recording) WithoutSyncs() *Recording {
	out := *r
	out.Ops = nil
	for _, o := range r.Ops {
		if o.Kind != Sync && o.Kind != SyncDir {
			out.Ops = append(out.Ops, o)
		}
	}
	return &out
}

// Written is the state at the end with every write and directory change
// in place: what the files look like to a reader once the workload ended.
// A test compares it with the real directory to check the replay.
func (r *Recording) Written(m Model) *State {
	cp := r.crashPoint(len(r.Ops), m)
	all := map[int]bool{}
	for _, i := range cp.unsynced {
		all[i] = true
	}
	return r.build(cp, choice{keep: all, dirs: len(cp.unsyncedDir), torn: -1, desc: "everything written"}, m)
}
