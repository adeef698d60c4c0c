// Package crashstate checks what a power cut could leave of a directory
// that a program was writing, in the spirit of ALICE ("All File Systems
// Are Not Created Equal", OSDI 2014).
//
// A SIGKILL leaves the page cache intact, so a kill test cannot see a
// missing fsync. This package can: it reads the file-system calls that
// strace recorded while a workload ran (ParseStrace), turns them into
// operations on the files under one directory (a Recording), and builds
// the states a power cut at any point could have left on disk (States):
// everything synced before the point, plus subsets of the writes that
// were not yet synced, plus prefixes of the directory changes that were
// not yet synced, plus writes torn at block boundaries. The caller writes
// each State into a fresh directory (State.WriteTo), opens it with the
// real program, and checks that every write the workload acknowledged
// before the point is there.
//
// Use it like this:
//
//	cmd := crashstate.Command(ctx, traceFile, workload, args...)  // strace -f ... workload
//	cmd.Run()
//	calls, err := crashstate.ParseStrace(traceFileReader)
//	rec, err := crashstate.Interpret(calls, dir, snapshotOfDirBeforeTheRun)
//	for st := range rec.States(crashstate.Model{...}) { ... }
//
// The workload reports progress by writing lines to its standard output
// (fd 1), for instance "ack 7" once an operation returned success; those
// writes are in the same trace, so State.Markers says exactly which lines
// had been printed before the state's crash point.
//
// What the model allows (see Model and docs/SECURITY.md, "Power loss"):
// writes to a file reach the disk in any order and any subset until the
// file is fsynced (or fdatasynced), optionally torn at BlockSize; a sync
// makes every earlier write to that file durable. Directory changes
// (create, rename, link, unlink, mkdir) reach the disk in order, as ext4's
// journal commits them, and a sync of a directory makes all earlier ones
// durable. What it does not model: a disk that lies about flushes, a file
// system without ordered metadata, damage to bytes that were never
// written, and memory-mapped writes (strace cannot see them; SQLite's -shm
// file, the only one here, is not durable state and is dropped).
package crashstate
