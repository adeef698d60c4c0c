package bench

import (
	"fmt"
	"strings"
)

// table is a markdown table under construction.
type table struct {
	b    *strings.Builder
	cols int
}

// newTable writes the header row and the separator.
func newTable(b *strings.Builder, header ...string) *table {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	return &table{b: b, cols: len(header)}
}

// row writes one row; cells beyond the header are an error in the caller.
func (t *table) row(cells ...string) {
	if len(cells) != t.cols {
		panic(fmt.Sprintf("markdown table: %d cells for %d columns", len(cells), t.cols))
	}
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	t.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// Markers delimit the generated section of docs/BENCHMARKS.md.
const (
	MarkerBegin = "<!-- peers:begin -->"
	MarkerEnd   = "<!-- peers:end -->"
)

// Splice replaces what lies between the markers in doc with section, or
// appends the markers and section when doc has none yet. Everything
// outside the markers is kept as it was.
func Splice(doc, section string) (string, error) {
	begin := strings.Index(doc, MarkerBegin)
	end := strings.Index(doc, MarkerEnd)
	block := MarkerBegin + "\n" + section + MarkerEnd
	switch {
	case begin < 0 && end < 0:
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" {
			doc += "\n"
		}
		return doc + block + "\n", nil
	case begin < 0 || end < begin:
		return "", fmt.Errorf("the document has %q and %q out of order or one without the other", MarkerBegin, MarkerEnd)
	}
	return doc[:begin] + block + doc[end+len(MarkerEnd):], nil
}
