package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// A long export or import shows its progress on a terminal: one line on
// standard error, redrawn at most ten times a second and cleared at the
// end, so that nothing is left behind. A quick one shows nothing, and
// nothing shows when standard error is not a terminal, so that logs and
// scripts see only the result.

// progressInterval is the least time between two drawings of the line,
// and before the first.
const progressInterval = 100 * time.Millisecond

// progressLine is the line. A nil *progressLine shows nothing, so that
// callers need not check whether there is a terminal.
type progressLine struct {
	w     io.Writer
	label func(done int64) string // the line for done bytes, e.g. "exporting: 1.5 MiB written"
	now   func() time.Time

	done  int64     // bytes so far
	next  time.Time // when the line may next be drawn
	width int       // of the line on screen, to blank it out
}

// newProgressLine returns a progress line on stderr, or nil when stderr
// is not a terminal.
func newProgressLine(stderr io.Writer, label func(done int64) string) *progressLine {
	if !writerIsTerminal(stderr) {
		return nil
	}
	return startProgressLine(stderr, label, time.Now)
}

func startProgressLine(w io.Writer, label func(done int64) string, now func() time.Time) *progressLine {
	return &progressLine{w: w, label: label, now: now, next: now().Add(progressInterval)}
}

// add counts n more bytes and redraws the line if it is time.
func (p *progressLine) add(n int) {
	if p == nil || n <= 0 {
		return
	}
	p.done += int64(n)
	if now := p.now(); !now.Before(p.next) {
		p.draw()
		p.next = now.Add(progressInterval)
	}
}

func (p *progressLine) draw() {
	line := p.label(p.done)
	// Blank out what is left of a longer line before.
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", max(p.width-len(line), 0)))
	p.width = max(p.width, len(line))
}

// finish clears the line, if it was drawn, and leaves the cursor at the
// start of it, so that the next message starts on a clean line.
func (p *progressLine) finish() {
	if p == nil || p.width == 0 {
		return
	}
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	p.width = 0
}

// progressWriter counts what goes through it on a progress line.
type progressWriter struct {
	w io.Writer
	p *progressLine
}

func (pw progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.p.add(n)
	return n, err
}

// progressReader counts what goes through it on a progress line.
type progressReader struct {
	r io.Reader
	p *progressLine
}

func (pr progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.add(n)
	return n, err
}

// exportProgress is the label of export's progress line.
func exportProgress(done int64) string {
	return "exporting: " + formatBytes(done) + " written"
}

// importProgress returns the label of import's progress line, for an
// input of size bytes (-1 when unknown: a pipe).
func importProgress(size int64) func(done int64) string {
	if size <= 0 {
		return func(done int64) string { return "importing: " + formatBytes(done) + " read" }
	}
	return func(done int64) string {
		return fmt.Sprintf("importing: %d%% of %s read", min(done*100/size, 100), formatBytes(size))
	}
}

// formatBytes writes n as people read it: "512 B", "1.5 KiB", "12.0 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// writerIsTerminal reports whether w is a terminal.
func writerIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
