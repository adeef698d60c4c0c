package bench

import (
	"fmt"
	"strings"
	"time"
)

// reading is the plain reading of the run: what the tables say, in
// sentences whose figures come from the same results.
func (rp *report) reading() {
	rp.p("## Reading\n\n")
	rp.readGets()
	rp.readSets()
	rp.readCLI()
	rp.readWriters()
	rp.readSoak()
	rp.p("\n")
}

// span is "a–b" of the medians of store's side in cells (or "a" if equal).
func span(cs []Cell, store string) string {
	var lo, hi time.Duration
	for _, c := range cs {
		s, ok := c.side(store)
		if !ok {
			continue
		}
		if lo == 0 || s.Latency.P50 < lo {
			lo = s.Latency.P50
		}
		hi = max(hi, s.Latency.P50)
	}
	if FormatDuration(lo) == FormatDuration(hi) {
		return FormatDuration(lo)
	}
	return FormatDuration(lo) + "–" + FormatDuration(hi)
}

// ratioSpan is "a–b×" of peer's median over base's, over cells.
func ratioSpan(cs []Cell, peer, base string) (string, float64, float64) {
	lo, hi := 0.0, 0.0
	for _, c := range cs {
		r := c.ratioP50(peer, base)
		if r == 0 {
			continue
		}
		if lo == 0 || r < lo {
			lo = r
		}
		hi = max(hi, r)
	}
	if FormatRatio(lo) == FormatRatio(hi) {
		return FormatRatio(lo), lo, hi
	}
	return strings.TrimSuffix(FormatRatio(lo), "×") + "–" + FormatRatio(hi), lo, hi
}

func (rp *report) readGets() {
	floor := rp.pairCells(OpGet, nameSSFile, FloorAESGCM)
	gk := rp.pairCells(OpGet, nameSSSS, nameGoKeyring)
	kf := rp.pairCells(OpGet, nameSSFile, nameKFile)
	ps := rp.pairCells(OpGet, nameSSFile, namePass)
	st := rp.pairCells(OpGet, nameSSSS, nameSecretTool)
	if len(floor) > 0 {
		r, _, _ := ratioSpan(floor, nameSSFile, FloorAESGCM)
		rp.p("- **Reads.** securestore's Get took %s at the median across store sizes, %s one AES-GCM seal of the value (%s): ",
			span(floor, nameSSFile), r, span(floor, FloorAESGCM))
		rp.p("the rest is the name's HMAC, SQLite's lookup and the Go and SQLite call overhead around them.")
	}
	if len(gk) > 0 {
		r, _, _ := ratioSpan(gk, nameGoKeyring, nameSSSS)
		rp.p(" go-keyring's Get took %s, %s securestore's: each is several D-Bus round trips to a single-threaded daemon.", span(gk, nameGoKeyring), r)
	}
	if len(st) > 0 {
		r, _, _ := ratioSpan(st, nameSecretTool, nameSSSS)
		rp.p(" secret-tool, a process per lookup, took %s (%s).", span(st, nameSecretTool), r)
	}
	if len(ps) > 0 {
		r, _, _ := ratioSpan(ps, namePass, nameSSFile)
		rp.p(" `pass show` took %s (%s): bash, gpg and a public-key decryption per read.", span(ps, namePass), r)
	}
	rp.p("\n")
	if len(kf) > 0 {
		r, lo, _ := ratioSpan(kf, nameKFile, nameSSFile)
		rp.p("- **99designs/keyring's file backend** took %s per Get, %s securestore's. ", span(kf, nameKFile), r)
		if lo < 1000 {
			worst := kf[0]
			for _, c := range kf {
				if c.ratioP50(nameKFile, nameSSFile) < worst.ratioP50(nameKFile, nameSSFile) {
					worst = c
				}
			}
			need := time.Duration(float64(worst.Sides[1].Latency.P50) / 1000)
			rp.p("That misses the issue's 1,000× by %s at %s items. The target assumed a slower peer: its Get is bound by PBKDF2 ",
				FormatRatio(1000/lo), items(worst.Items))
			rp.p("(8,192 iterations of HMAC-SHA256 per Get), not by disk or IPC, so 1,000× would need securestore's Get ")
			rp.p("at %s, where it takes %s. ", FormatDuration(need), FormatDuration(worst.Sides[0].Latency.P50))
			rp.p("See the notes below the section for what would close it.\n")
		} else {
			rp.p("That meets the issue's 1,000×.\n")
		}
	}
}

func (rp *report) readSets() {
	fl := rp.pairCells(OpSet, nameSSFile, FloorFsync)
	if len(fl) > 0 {
		r, _, hi := ratioSpan(fl, nameSSFile, FloorFsync)
		rp.p("- **Writes.** securestore's Set took %s at the median, %s one 4 KB write + fsync on the same disk in the same comparison (%s)",
			span(fl, nameSSFile), r, span(fl, FloorFsync))
		if hi <= 3 {
			rp.p(", within the issue's 3×: a durable write costs one fsync plus encryption and SQLite's work.")
		} else {
			rp.p(", beyond the issue's 3× at worst.")
		}
	}
	if kf := rp.pairCells(OpSet, nameSSFile, nameKFile); len(kf) > 0 {
		r, _, _ := ratioSpan(kf, nameKFile, nameSSFile)
		rp.p(" 99designs/keyring's file backend took %s per Set (%s securestore's) and never fsyncs: its cost is PBKDF2, and its writes are not durable.", span(kf, nameKFile), r)
	}
	if gk := rp.pairCells(OpSet, nameSSSS, nameGoKeyring); len(gk) > 0 {
		rp.p(" go-keyring's Set went from %s at %s items to %s at %s, because gnome-keyring rewrites the whole keyring on every change.",
			FormatDuration(gk[0].Sides[1].Latency.P50), items(gk[0].Items), FormatDuration(gk[len(gk)-1].Sides[1].Latency.P50), items(gk[len(gk)-1].Items))
	}
	if ps := rp.pairCells(OpSet, nameSSFile, namePass); len(ps) > 0 {
		rp.p(" `pass insert` took %s, without an fsync.", span(ps, namePass))
	}
	rp.p("\n")
	if ls := rp.pairCells(OpList, nameSSFile, nameKFile); len(ls) > 0 {
		rp.p("- **List** is where securestore is not the fastest: it decrypts every name (%s for the largest store), while 99designs/keyring's ",
			FormatDuration(ls[len(ls)-1].Sides[0].Latency.P50))
		rp.p("file backend reads a directory whose file names are the keys in clear (%s). That is the price of not storing names in clear.\n",
			FormatDuration(ls[len(ls)-1].Sides[1].Latency.P50))
	}
}

func (rp *report) readCLI() {
	cs := rp.cellsOf(OpCLIGet)
	if len(cs) == 0 {
		return
	}
	rp.p("- **CLI get.** `securestore get` took %s with the file protector and %s with secretservice; `pass show` %s, `secret-tool lookup` %s. ",
		span(cs, nameCLIFile), span(cs, nameCLISS), span(cs, namePass), span(cs, nameSecretTool))
	rp.p("A securestore process starts a Go binary, opens SQLite, reads the item and closes; with secretservice it also unwraps the device key ")
	rp.p("over D-Bus, in an encrypted session whose Diffie-Hellman exchange costs both sides 1024-bit modular exponentiations. ")
	rp.p("secret-tool does the same D-Bus work, so the secretservice margin over it is the thinnest (see the notes below the section).")
	worst := 0.0
	for _, c := range cs {
		if st, ok := c.side(nameSecretTool); ok {
			if ss, ok := c.side(nameCLISS); ok {
				worst = max(worst, float64(ss.Latency.P50)/float64(st.Latency.P50))
			}
		}
	}
	if worst >= 1 {
		rp.p(" It misses by %s: ", FormatRatio(worst))
		rp.p("closing it needs a cheaper unwrap (a shorter Diffie-Hellman exponent, or keeping the unwrapped key in a per-session agent), both of which change what protects the key.")
	}
	rp.p("\n")
}

func (rp *report) readWriters() {
	cs := rp.cellsOf(OpWriters)
	if len(cs) == 0 {
		return
	}
	most := slicesMaxWriters(cs)
	var parts []string
	for _, c := range cs {
		if c.Writers != most {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s against %s's %s (%s)",
			FormatRate(c.Sides[0].PerSecond), displayName(c.Sides[1].Store), FormatRate(c.Sides[1].PerSecond),
			FormatRatio(c.Sides[0].PerSecond/c.Sides[1].PerSecond)))
	}
	rp.p("- **Concurrent writers.** With %d writers securestore did %s. ", most, strings.Join(parts, "; "))
	rp.p("Its writers share commits (group commit), so its throughput grows with writers while its fsyncs do not; ")
	rp.p("gnome-keyring handles one request at a time and rewrites its file for each, and pass's processes compete for %d cores.\n", rp.r.Env.Cores)
}

func slicesMaxWriters(cs []Cell) int {
	m := 0
	for _, c := range cs {
		m = max(m, c.Writers)
	}
	return m
}

func (rp *report) readSoak() {
	s := rp.soak
	if s == nil || len(s.Intervals) < 2 {
		return
	}
	first, last := s.Intervals[0], s.Intervals[len(s.Intervals)-1]
	var rssStart, rssEnd int64
	for _, p := range s.Processes {
		rssStart += p.MemStart.RSSKiB
		rssEnd += p.MemEnd.RSSKiB
	}
	rp.p("- **Soak.** %d processes ran %s on one store, which grew to %s items. Throughput was %s in the first interval and %s in the last; ",
		s.Procs, s.Duration, groupThousands(float64(last.Items)), FormatRate(first.PerSecond), FormatRate(last.PerSecond))
	rp.p("Get's median went from %s to %s and Set's from %s to %s. The processes' RSS went from %s to %s in all. ",
		FormatDuration(first.GetP50), FormatDuration(last.GetP50), FormatDuration(first.SetP50), FormatDuration(last.SetP50),
		FormatKiB(rssStart), FormatKiB(rssEnd))
	if s.OK() {
		rp.p("Every acknowledged write read back intact and every acknowledged delete was absent (%s keys checked), with no errors.\n",
			groupThousands(float64(s.Check.Present+s.Check.Absent)))
	} else {
		rp.p("**The soak found errors or lost data: see its section.**\n")
	}
}
