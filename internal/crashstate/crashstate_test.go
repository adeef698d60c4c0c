package crashstate

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// hexq quotes s the way strace -xx prints a buffer or a path.
func hexq(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\x%02x`, s[i])
	}
	return b.String()
}

// fdq prints a file descriptor the way strace -y -xx does.
func fdq(fd int, path string) string { return fmt.Sprintf("%d<%s>", fd, hexq(path)) }

const root = "/r"

func parse(t *testing.T, lines ...string) *Recording {
	t.Helper()
	calls, err := ParseStrace(strings.NewReader(strings.Join(lines, "\n") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Interpret(calls, root, map[string][]byte{"f": []byte("old!")})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestParseStrace(t *testing.T) {
	calls, err := ParseStrace(strings.NewReader(strings.Join([]string{
		`100 openat(AT_FDCWD<` + hexq("/") + `>, "` + hexq("/r/f") + `", O_RDWR|O_CREAT|O_CLOEXEC, 0600) = ` + fdq(3, "/r/f"),
		`100 --- SIGURG {si_signo=SIGURG} ---`,
		`101 pwrite64(` + fdq(3, "/r/f") + `, "` + hexq("ab") + `", 2, 4096 <unfinished ...>`,
		`100 openat(AT_FDCWD<` + hexq("/") + `>, "` + hexq("/nope") + `", O_RDONLY) = -1 ENOENT (No such file or directory)`,
		`101 <... pwrite64 resumed>) = 2`,
		`[pid 102] writev(` + fdq(3, "/r/f") + `, [{iov_base="` + hexq("x,)") + `", iov_len=3}, {iov_base="` + hexq("y") + `", iov_len=1}], 2) = 4`,
		`103 fsync(` + fdq(3, "/r/f") + ` <unfinished ...>`,
		`103 +++ exited with 0 +++`,
		`104 ???( <detached ...>`, // a thread in a call when the process exited
		`100 +++ exited with 0 +++`,
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range calls {
		got = append(got, fmt.Sprintf("%s %d %q %v", c.Name, c.Ret, c.RetPath, c.Failed))
	}
	want := []string{
		`openat 3 "/r/f" false`,
		`openat -1 "" true`,
		`pwrite64 2 "" false`, // counted where it returned
		`writev 4 "" false`,
		// the fsync never returned: dropped
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rec, err := Interpret(calls, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) != 3 || rec.Ops[1].Off != 4096 || string(rec.Ops[2].Data) != "x,)y" || rec.Ops[2].Off != 0 {
		t.Errorf("ops: %v", rec.Ops)
	}
}

func TestParseStraceRefusesCutBuffers(t *testing.T) {
	_, err := ParseStrace(strings.NewReader(`1 write(` + fdq(3, "/r/f") + `, "` + hexq("abc") + `"..., 100) = 100` + "\n"))
	if err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("err = %v, want a buffer cut short", err)
	}
}

// A file written, synced, acknowledged, then written again without a sync
// and acknowledged: some crash state must lose the second write, none the
// first.
func TestStatesSeeAMissingSync(t *testing.T) {
	f := fdq(3, "/r/f")
	rec := parse(t,
		`1 openat(AT_FDCWD<`+hexq("/")+`>, "`+hexq("/r/f")+`", O_RDWR) = `+f,
		`1 pwrite64(`+f+`, "`+hexq("one!")+`", 4, 0) = 4`,
		`1 fsync(`+f+`) = 0`,
		`1 write(1<pipe:[7]>, "`+hexq("ack 1\n")+`", 6) = 6`,
		`1 lseek(`+f+`, 0, SEEK_END) = 4`,
		`1 write(`+f+`, "`+hexq("two!")+`", 4) = 4`,
		`1 write(1<pipe:[7]>, "`+hexq("ack 2\n")+`", 6) = 6`,
	)
	var states, lostFirst, lostSecond int
	for s := range rec.States(Model{}) {
		states++
		acked := string(s.Markers)
		switch got := string(s.Files["f"]); {
		case strings.Contains(acked, "ack 1") && got == "old!":
			lostFirst++
		case strings.Contains(acked, "ack 2") && got != "one!two!":
			lostSecond++
			if got != "one!" {
				t.Errorf("%s: f = %q, want one! (the unsynced write dropped)", s.Desc, got)
			}
		}
	}
	if lostFirst != 0 || lostSecond == 0 {
		t.Errorf("%d states: %d lost the synced write (want 0), %d lost the unsynced one (want > 0)", states, lostFirst, lostSecond)
	}
}

// A file created and renamed over another without syncing the directory:
// a crash may leave the old name, or the new file empty.
func TestStatesDirectoryChangesNeedADirSync(t *testing.T) {
	tmp := fdq(3, "/r/tmp")
	dir := fdq(4, "/r")
	lines := []string{
		`1 openat(AT_FDCWD<` + hexq("/") + `>, "` + hexq("/r/tmp") + `", O_WRONLY|O_CREAT|O_EXCL, 0600) = ` + tmp,
		`1 write(` + tmp + `, "` + hexq("new!") + `", 4) = 4`,
		`1 fsync(` + tmp + `) = 0`,
		`1 rename("` + hexq("/r/tmp") + `", "` + hexq("/r/f") + `") = 0`,
		`1 write(1<pipe:[7]>, "` + hexq("renamed\n") + `", 8) = 8`,
	}
	count := func(rec *Recording, m Model) (old, states int) {
		for s := range rec.States(m) {
			states++
			if bytes.Contains(s.Markers, []byte("renamed")) && string(s.Files["f"]) == "old!" {
				old++
			}
			if b, ok := s.Files["f"]; ok && string(b) != "old!" && string(b) != "new!" {
				t.Errorf("%s: f = %q, never written", s.Desc, b)
			}
		}
		return old, states
	}
	if old, n := count(parse(t, lines...), Model{}); old == 0 {
		t.Errorf("without a directory sync, none of %d states kept the old file", n)
	}
	withDirSync := append(lines[:4:4],
		`1 openat(AT_FDCWD<`+hexq("/")+`>, "`+hexq("/r")+`", O_RDONLY|O_CLOEXEC) = `+dir,
		`1 fsync(`+dir+`) = 0`, lines[4])
	if old, n := count(parse(t, withDirSync...), Model{}); old != 0 {
		t.Errorf("with a directory sync, %d of %d states kept the old file", old, n)
	}
	if old, n := count(parse(t, lines[:3]...), Model{}); old != 0 || n == 0 {
		t.Errorf("before the rename: %d, %d", old, n)
	}
}

// A write across a block boundary may persist torn there.
func TestStatesTearWritesAtBlocks(t *testing.T) {
	f := fdq(3, "/r/f")
	rec := parse(t,
		`1 openat(AT_FDCWD<`+hexq("/")+`>, "`+hexq("/r/f")+`", O_RDWR) = `+f,
		`1 pwrite64(`+f+`, "`+hexq("ABCDEF")+`", 6, 2) = 6`,
	)
	var torn bool
	for s := range rec.States(Model{BlockSize: 4}) {
		if string(s.Files["f"]) == "olAB" {
			torn = true
		}
	}
	if !torn {
		t.Error("no state with the write torn at offset 4")
	}
	for s := range rec.States(Model{BlockSize: -1}) {
		if string(s.Files["f"]) == "olAB" {
			t.Errorf("%s: torn although BlockSize is -1", s.Desc)
		}
	}
}

func TestWithoutSyncs(t *testing.T) {
	f := fdq(3, "/r/f")
	rec := parse(t,
		`1 openat(AT_FDCWD<`+hexq("/")+`>, "`+hexq("/r/f")+`", O_RDWR) = `+f,
		`1 pwrite64(`+f+`, "`+hexq("one!")+`", 4, 0) = 4`,
		`1 fdatasync(`+f+`) = 0`,
	)
	var lost bool
	for s := range rec.WithoutSyncs().States(Model{}) {
		lost = lost || string(s.Files["f"]) == "old!" && s.Point == len(rec.WithoutSyncs().Ops)
	}
	if !lost {
		t.Error("without its sync, no state lost the write")
	}
}
